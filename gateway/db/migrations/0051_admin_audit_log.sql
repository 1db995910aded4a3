-- The administrators' audit log: who did what, when, with the record before and after.
-- Append-only: triggers refuse UPDATE, DELETE and TRUNCATE (SQLSTATE AD001), so not even the
-- application's own database role can rewrite history through ordinary statements.

CREATE TABLE admin_audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- The acting user (NULL for failed logins of unknown names and for the CLI) and the
    -- name as it was then: users may be renamed or disabled later, the log must not change.
    actor_id    text,
    actor       text NOT NULL CHECK (length(actor) BETWEEN 1 AND 100),
    action      text NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
    target_type text,
    target_id   text,
    before      jsonb,
    after       jsonb,
    client_ip   text
);
CREATE INDEX admin_audit_log_at ON admin_audit_log (at DESC, id DESC);
CREATE INDEX admin_audit_log_target ON admin_audit_log (target_type, target_id);

CREATE FUNCTION admin_audit_log_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'admin_audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'AD001';
END
$$;

CREATE TRIGGER admin_audit_log_no_change
    BEFORE UPDATE OR DELETE ON admin_audit_log
    FOR EACH ROW EXECUTE FUNCTION admin_audit_log_immutable();
CREATE TRIGGER admin_audit_log_no_truncate
    BEFORE TRUNCATE ON admin_audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION admin_audit_log_immutable();
