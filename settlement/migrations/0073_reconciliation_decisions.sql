-- Decisions on reconciliation differences (settlement.reconciliation).
--
-- A difference is identified across runs by what it is (`identity`: kind, chain, asset,
-- address and the amount of the difference; a fetch error also by its run): an operator's
-- `acknowledge` on one run's line explains the same difference in every later run. A run
-- whose every line is explained says `explained`, never `balanced`; a different amount is a
-- new difference and needs its own decision.
CREATE TABLE reconciliation_decisions (
    identity   text PRIMARY KEY CHECK (length(identity) BETWEEN 1 AND 600),
    action     text NOT NULL CHECK (action IN ('acknowledge')),
    note       text,
    run_id     text NOT NULL REFERENCES reconciliation_runs (id),
    seq        integer NOT NULL,
    decided_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE reconciliation_items ADD COLUMN identity text;

ALTER TABLE reconciliation_runs
    DROP CONSTRAINT reconciliation_runs_status_check,
    ADD CONSTRAINT reconciliation_runs_status_check CHECK (status IN
        ('balanced', 'explained', 'differences'));
