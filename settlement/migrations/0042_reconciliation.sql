-- Reconciliation runs (settlement/reconciliation): ledger custody vs what the chains report,
-- the trial balance, and unmatched on-chain payments, stored for the admin console.
-- Amounts are crypto base units (numeric(78,0)) or tiyn for trial-balance lines.

CREATE TABLE reconciliation_runs (
    id               text PRIMARY KEY CHECK (id ~ '^rec_[a-z0-9]{16,32}$'),
    started_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz NOT NULL DEFAULT now(),
    status           text NOT NULL CHECK (status IN ('balanced', 'differences')),
    difference_count integer NOT NULL CHECK (difference_count >= 0),
    -- Debits minus credits per currency over the whole ledger: all zeros when sound.
    trial_balance    jsonb NOT NULL,
    notes            jsonb NOT NULL DEFAULT '[]'::jsonb
);

CREATE INDEX reconciliation_runs_started ON reconciliation_runs (started_at DESC);

CREATE TABLE reconciliation_items (
    run_id        text NOT NULL REFERENCES reconciliation_runs (id),
    seq           integer NOT NULL,
    kind          text NOT NULL CHECK (kind IN
                      ('custody', 'address', 'trial_balance', 'unmatched_payment', 'fetch_error')),
    chain         text,
    asset         text,
    address       text,
    ledger_amount numeric(78, 0),
    chain_amount  numeric(78, 0),
    difference    numeric(78, 0),
    detail        jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (run_id, seq)
);

-- An operator's decision about an on-chain payment no invoice matched: assign it to an
-- invoice (booked by the invoice flow) or refund it to the sender. One decision per transfer.
CREATE TABLE unmatched_payment_resolutions (
    transfer_id text PRIMARY KEY CHECK (length(transfer_id) BETWEEN 1 AND 200),
    action      text NOT NULL CHECK (action IN ('assign', 'refund')),
    invoice_id  text,
    note        text,
    resolved_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((action = 'assign') = (invoice_id IS NOT NULL))
);
