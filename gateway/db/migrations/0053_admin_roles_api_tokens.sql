-- One auth model for the zone console and its JSON API (/admin/api): the `operator` role
-- (runs settlement: batches, payout files, reconciliation, treasury; no merchant or account
-- changes) and per-user API tokens in place of one shared GATEWAY_ADMIN_TOKEN.

ALTER TABLE admin_users DROP CONSTRAINT admin_users_role_check;
ALTER TABLE admin_users ADD CONSTRAINT admin_users_role_check
    CHECK (role IN ('admin', 'operator', 'auditor'));

-- A token acts as its user (whose role and `disabled` flag are read on every call), or as an
-- auditor when scoped `read`. Only the SHA-256 of the random token is stored: the secret is
-- shown once, when it is created.
CREATE TABLE admin_api_tokens (
    id           text PRIMARY KEY CHECK (id ~ '^admtok_[A-Za-z0-9]{8,64}$'),
    user_id      text NOT NULL REFERENCES admin_users (id),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    scope        text NOT NULL CHECK (scope IN ('read', 'write')),
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX admin_api_tokens_user ON admin_api_tokens (user_id);
