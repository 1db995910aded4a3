-- Opening balances of the refund hot wallets (settlement.reconciliation, issue 12).
--
-- Refunds leave from hot wallets that the operator funds outside the ledger, so the books
-- cannot say what a wallet should hold. Reconciliation expects each wallet's asset to hold its
-- latest opening less what refunds and their network fees moved out of it since `as_of`
-- (`refund_wallet` line when it does not). An opening is recorded by the first run that reads
-- the wallet's asset, and again when an operator acknowledges a `refund_wallet` difference (a
-- top-up or a withdrawal outside the gateway): the balance that run read becomes the opening.
CREATE TABLE reconciliation_wallet_openings (
    chain       text NOT NULL,
    asset       text NOT NULL,                          -- currency code, e.g. bsc:USDT
    address     text NOT NULL,                          -- where the balance is read
    units       numeric(78, 0) NOT NULL CHECK (units >= 0),
    as_of       timestamptz NOT NULL,                   -- when the facts of that run were read
    run_id      text NOT NULL REFERENCES reconciliation_runs (id),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chain, asset, address, as_of)
);

-- A refund hot wallet that holds other than its opening less refunds and fees since.
ALTER TABLE reconciliation_items
    DROP CONSTRAINT reconciliation_items_kind_check,
    ADD CONSTRAINT reconciliation_items_kind_check CHECK (kind IN
        ('custody', 'address', 'trial_balance', 'unmatched_payment', 'stranded_payment',
         'fetch_error', 'vanished_transfer', 'refund_wallet'));
