-- One fee source: the effective-dated schedule (settlement/fees). Booking used to fall back
-- to the fee columns of `merchants` for a merchant without a schedule; that fallback is gone,
-- so every such merchant gets the schedule its columns described, in effect since it was
-- created (the merchants service writes a schedule with every new merchant). The guard
-- trigger refuses schedules that take effect in the past; this one-off backfill of history is
-- the exception, so the trigger is off for this statement only. The columns stay (data kept).

ALTER TABLE fee_schedules DISABLE TRIGGER fee_schedules_guard;

INSERT INTO fee_schedules (merchant_id, effective_from, bps, fixed, minimum)
SELECT m.id, m.created_at, m.fee_bps, m.fee_fixed, 0
FROM merchants m
WHERE NOT EXISTS (SELECT 1 FROM fee_schedules f
                  WHERE f.merchant_id = m.id AND f.effective_from <= m.created_at);

ALTER TABLE fee_schedules ENABLE TRIGGER fee_schedules_guard;
