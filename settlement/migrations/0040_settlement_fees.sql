-- Per-merchant fee schedules (settlement/fees). Effective-dated rows: a change is a new row
-- taking effect from its `effective_from`, so the fee of an invoice settled in the past is
-- always recomputable and never rewritten. Amounts in tiyn. See docs/settlement.md.
-- Errors raised here use our SQLSTATE class SE (mapped in settlement.fees):
--   SE001 a fee schedule row that is (or was) in effect cannot be changed or deleted
--   SE002 a new fee schedule must not take effect in the past

CREATE TABLE fee_schedules (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    merchant_id    text NOT NULL CHECK (length(merchant_id) BETWEEN 1 AND 100),
    effective_from timestamptz NOT NULL,
    bps            integer NOT NULL CHECK (bps BETWEEN 0 AND 10000),
    fixed          bigint NOT NULL CHECK (fixed >= 0),
    minimum        bigint NOT NULL CHECK (minimum >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (merchant_id, effective_from)
);

CREATE FUNCTION fee_schedules_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.effective_from < now() THEN
            RAISE EXCEPTION 'fee schedule for % would take effect in the past (%)',
                NEW.merchant_id, NEW.effective_from USING ERRCODE = 'SE002';
        END IF;
        RETURN NEW;
    END IF;
    -- A schedule not yet in effect may be withdrawn; one that applied to any moment is history.
    IF TG_OP = 'DELETE' AND OLD.effective_from > now() THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'fee schedule % of % is history and cannot be changed',
        OLD.id, OLD.merchant_id USING ERRCODE = 'SE001';
END $$;

CREATE TRIGGER fee_schedules_guard BEFORE INSERT OR UPDATE OR DELETE ON fee_schedules
    FOR EACH ROW EXECUTE FUNCTION fee_schedules_guard();
