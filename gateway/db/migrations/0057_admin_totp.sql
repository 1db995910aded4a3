-- Optional TOTP (RFC 6238) for administrators (gateway/admin/auth.py): once enrolled, a
-- sign-in needs the current 6-digit code besides the password. The pending secret is the one
-- shown during enrolment until a first code confirms it. The last accepted time step is kept
-- so that a code, once used, cannot sign in again (replay).
ALTER TABLE admin_users
    ADD COLUMN totp_secret         text CHECK (totp_secret ~ '^[A-Z2-7]{32}$'),
    ADD COLUMN totp_pending_secret text CHECK (totp_pending_secret ~ '^[A-Z2-7]{32}$'),
    ADD COLUMN totp_last_step      bigint;
