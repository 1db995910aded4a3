-- Zone administrator console (gateway/admin): users and their server-side sessions.

CREATE TABLE admin_users (
    id              text PRIMARY KEY CHECK (id ~ '^adm_[A-Za-z0-9]{8,64}$'),
    -- Stored lower-case: "Alice" and "alice" are one account.
    username        text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    -- argon2id PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash): never the password.
    password_hash   text NOT NULL CHECK (password_hash LIKE '$argon2%'),
    role            text NOT NULL CHECK (role IN ('admin', 'auditor')),
    disabled        boolean NOT NULL DEFAULT false,
    -- Lockout: consecutive failures since the last success or lock; at the configured count
    -- the account is locked until `locked_until` and the counter starts again.
    failed_attempts integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_login_at   timestamptz
);

-- The cookie carries a random token; only its SHA-256 is stored, so a copy of this table
-- (a backup, a replica) does not let anyone take over a live session.
CREATE TABLE admin_sessions (
    token_hash       bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id          text NOT NULL REFERENCES admin_users (id),
    -- Per-session CSRF token embedded in every form and compared on every POST.
    csrf_token       text NOT NULL CHECK (length(csrf_token) >= 32),
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_seen_at     timestamptz NOT NULL DEFAULT now(),
    -- Idle expiry slides forward on use but never past the absolute limit.
    expires_at       timestamptz NOT NULL,
    absolute_expires timestamptz NOT NULL,
    client_ip        text,
    user_agent       text CHECK (length(user_agent) <= 400),
    CHECK (expires_at <= absolute_expires)
);
CREATE INDEX admin_sessions_user ON admin_sessions (user_id);
CREATE INDEX admin_sessions_expiry ON admin_sessions (expires_at);
