-- Per address and asset of a reconciliation run, what the chain holds and what explains it,
-- to the base unit (settlement.reconciliation.Holding):
--   expected = booked + pending + stranded + unmatched + refunded - vanished
--   difference = chain_units - expected (NULL when the node gave no balance)
-- `refunded` stays 0 until refunds land (the refunds module fills it).
CREATE TABLE reconciliation_holdings (
    run_id      text NOT NULL REFERENCES reconciliation_runs (id),
    chain       text NOT NULL,
    asset       text NOT NULL,
    address     text NOT NULL,
    chain_units numeric(78, 0),
    booked      numeric(78, 0) NOT NULL,
    pending     numeric(78, 0) NOT NULL,
    stranded    numeric(78, 0) NOT NULL,
    unmatched   numeric(78, 0) NOT NULL,
    refunded    numeric(78, 0) NOT NULL,
    vanished    numeric(78, 0) NOT NULL,
    difference  numeric(78, 0),
    PRIMARY KEY (run_id, chain, asset, address)
);
