-- Merchant portal and point of sale (gateway/portal): the merchant's own users and roles,
-- one-time invites, server-side sessions, the merchant audit log, POS terminals and charges.

CREATE TABLE merchant_users (
    id              text PRIMARY KEY CHECK (id ~ '^mus_[A-Za-z0-9]{8,64}$'),
    merchant_id     text NOT NULL REFERENCES merchants (id),
    -- The sign-in name, stored lower-case; one account per address across all merchants.
    email           text NOT NULL UNIQUE CHECK (email ~ '^[^@\s]{1,64}@[^@\s]{1,190}$'),
    role            text NOT NULL CHECK (role IN ('owner', 'manager', 'cashier', 'accountant')),
    -- argon2id PHC string: never the password.
    password_hash   text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    -- Base32 TOTP secret once the user confirmed a first code; NULL: no second factor.
    totp_secret     text CHECK (totp_secret ~ '^[A-Z2-7]{16,64}$'),
    -- The last accepted TOTP time step: a code is good once.
    totp_last_step  bigint,
    disabled        boolean NOT NULL DEFAULT false,
    -- Attempts since the last success, counted BEFORE the password is checked (so parallel
    -- guesses are all counted); beyond the limit the account is locked until `locked_until`.
    failed_attempts integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_login_at   timestamptz
);
CREATE INDEX merchant_users_merchant ON merchant_users (merchant_id, created_at);

-- One-time invite links: only the SHA-256 of the link's token is kept; a link works once and
-- until it expires.
CREATE TABLE merchant_invites (
    token_hash  bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    merchant_id text NOT NULL REFERENCES merchants (id),
    email       text NOT NULL CHECK (email ~ '^[^@\s]{1,64}@[^@\s]{1,190}$'),
    role        text NOT NULL CHECK (role IN ('owner', 'manager', 'cashier', 'accountant')),
    -- The inviting merchant user; NULL when a zone administrator (console or CLI) invited.
    invited_by  text REFERENCES merchant_users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    user_id     text REFERENCES merchant_users (id),
    CHECK (expires_at > created_at)
);
CREATE INDEX merchant_invites_merchant ON merchant_invites (merchant_id, created_at DESC);

CREATE TABLE merchant_sessions (
    token_hash       bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id          text NOT NULL REFERENCES merchant_users (id),
    csrf_token       text NOT NULL CHECK (length(csrf_token) >= 32),
    -- A password-checked session of a user with TOTP waits here for the code.
    mfa_pending      boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_seen_at     timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    absolute_expires timestamptz NOT NULL,
    client_ip        text,
    user_agent       text CHECK (length(user_agent) <= 400),
    CHECK (expires_at <= absolute_expires)
);
CREATE INDEX merchant_sessions_user ON merchant_sessions (user_id);
CREATE INDEX merchant_sessions_expiry ON merchant_sessions (expires_at);

-- The merchant's own audit log (every change made through the portal, the POS, or an
-- administrator's invite). Append-only, like admin_audit_log.
CREATE TABLE merchant_audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    merchant_id text NOT NULL REFERENCES merchants (id),
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id    text,
    actor       text NOT NULL CHECK (length(actor) BETWEEN 1 AND 254),
    action      text NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
    target_type text,
    target_id   text,
    before      jsonb,
    after       jsonb,
    client_ip   text
);
CREATE INDEX merchant_audit_log_merchant ON merchant_audit_log (merchant_id, id DESC);

CREATE FUNCTION merchant_audit_log_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'merchant_audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'AD001';
END
$$;
CREATE TRIGGER merchant_audit_log_no_change
    BEFORE UPDATE OR DELETE ON merchant_audit_log
    FOR EACH ROW EXECUTE FUNCTION merchant_audit_log_immutable();
CREATE TRIGGER merchant_audit_log_no_truncate
    BEFORE TRUNCATE ON merchant_audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION merchant_audit_log_immutable();

-- Point of sale: named terminals ("Till 1", "Terrace") and the charges made on them.
CREATE TABLE pos_terminals (
    id          text PRIMARY KEY CHECK (id ~ '^trm_[A-Za-z0-9]{8,64}$'),
    merchant_id text NOT NULL REFERENCES merchants (id),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    created_at  timestamptz NOT NULL DEFAULT now(),
    archived_at timestamptz,
    UNIQUE (merchant_id, name)
);

-- A charge id is made by the POS page for each "Charge": a double tap or a retry after a
-- dropped connection sends the same id and gets the same invoice (primary key).
CREATE TABLE pos_charges (
    terminal_id text NOT NULL REFERENCES pos_terminals (id),
    charge_id   text NOT NULL CHECK (charge_id ~ '^[A-Za-z0-9_-]{16,64}$'),
    invoice_id  text NOT NULL REFERENCES invoices (id),
    cashier_id  text REFERENCES merchant_users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (terminal_id, charge_id)
);
CREATE UNIQUE INDEX pos_charges_invoice ON pos_charges (invoice_id);
CREATE INDEX pos_charges_terminal_created ON pos_charges (terminal_id, created_at DESC);
