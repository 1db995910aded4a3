-- Refunds (gateway/refunds, issue 12): giving a shopper's money back on the chain it came from.
--
-- A refund draws on two kinds of money, kept apart because they are booked differently:
--   stranded   units that reached us and are not part of a sale (overpaid excess, a payment
--              after settlement or to an expired/invalid/cancelled invoice, a wrong asset);
--              they go back in kind: the same asset, the units that arrived
--              (`stranded_units`, valued `stranded_amount` tiyn at the invoice's locked rate)
--   sale       a merchant-funded return of a settled sale (`sale_amount` tiyn, debited from
--              the merchant's payable), converted to `sale_units` of the refund's asset at
--              `rate` (KZT per whole unit; `rate_kind` locked | current)
-- amount = stranded_amount + sale_amount; amount_units = stranded_units + sale_units.
-- The asset, chain, rate and units are NULL while the refund awaits its address and the
-- shopper has not yet picked the asset on the claim page (only a pure sale refund can wait so).
--
-- Status moves (gateway/refunds/states.py; guarded here by refund_transition()):
--   awaiting_address -> pending_approval | sending | cancelled
--   pending_approval -> sending | cancelled        (an administrator approves / rejects)
--   sending          -> sent | failed              (signed bytes stored, then broadcast)
--   sent             -> succeeded | failed         (final on chain / reverted or expired)
-- A refund's stranded sources are released when it ends cancelled or failed.
--   RF001 illegal refund status transition

CREATE TABLE refunds (
    id               text PRIMARY KEY CHECK (id ~ '^rfd_[A-Za-z0-9]{8,64}$'),
    merchant_id      text NOT NULL REFERENCES merchants (id),
    invoice_id       text NOT NULL REFERENCES invoices (id),
    livemode         boolean NOT NULL,
    status           text NOT NULL CHECK (status IN ('awaiting_address', 'pending_approval',
                         'sending', 'sent', 'succeeded', 'failed', 'cancelled')),
    amount           bigint NOT NULL CHECK (amount > 0),                 -- tiyn
    stranded_amount  bigint NOT NULL DEFAULT 0 CHECK (stranded_amount >= 0),
    sale_amount      bigint NOT NULL DEFAULT 0 CHECK (sale_amount >= 0),
    chain            text CHECK (chain IN ('bsc', 'solana')),
    asset            text CHECK (asset IN
                         ('BNB', 'USDT_BSC', 'USDC_BSC', 'SOL', 'USDT_SOL', 'USDC_SOL', 'KZTE')),
    stranded_units   numeric(78, 0) NOT NULL DEFAULT 0 CHECK (stranded_units >= 0),
    sale_units       numeric(78, 0) CHECK (sale_units >= 0),
    amount_units     numeric(78, 0) CHECK (amount_units > 0),
    rate_kind        text NOT NULL DEFAULT 'current' CHECK (rate_kind IN ('locked', 'current')),
    rate             numeric CHECK (rate > 0),
    address          text CHECK (length(address) BETWEEN 32 AND 64),
    -- Public, unguessable name of the claim page (/refunds/claim/<token>); NULL when the
    -- merchant gave the address.
    claim_token      text UNIQUE,
    reason           text CHECK (length(reason) <= 500),
    failure_reason   text CHECK (length(failure_reason) <= 500),
    tx_hash          text,
    -- Paid by the operator, in the chain's native asset (booked to network-fee expense).
    network_fee_units numeric(78, 0) CHECK (network_fee_units >= 0),
    decided_by       text CHECK (length(decided_by) BETWEEN 1 AND 100),
    decided_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    status_changed_at timestamptz NOT NULL DEFAULT now(),
    CHECK (amount = stranded_amount + sale_amount),
    CHECK ((asset IS NULL) = (chain IS NULL)),
    CHECK (asset IS NOT NULL OR stranded_amount = 0),
    CHECK (status IN ('awaiting_address', 'cancelled') OR (address IS NOT NULL
           AND asset IS NOT NULL AND amount_units = stranded_units + sale_units)),
    CHECK (status <> 'succeeded' OR tx_hash IS NOT NULL)
);
CREATE INDEX refunds_merchant_created ON refunds (merchant_id, created_at DESC, id DESC);
CREATE INDEX refunds_invoice ON refunds (invoice_id);
-- The sender and the console read only the refunds still moving.
CREATE INDEX refunds_open ON refunds (status, status_changed_at)
    WHERE status IN ('awaiting_address', 'pending_approval', 'sending', 'sent');

-- Which stranded transfers a refund gives back, and how many of their units. A transfer's
-- units are refunded at most once: the service checks, under a lock on the invoice row, that
-- the units held by live refunds (not cancelled, not failed) never exceed the transfer's.
CREATE TABLE refund_sources (
    refund_id    text NOT NULL REFERENCES refunds (id),
    transfer_id  bigint NOT NULL REFERENCES chain_transfers (id),
    units        numeric(78, 0) NOT NULL CHECK (units > 0),
    PRIMARY KEY (refund_id, transfer_id)
);
CREATE INDEX refund_sources_transfer ON refund_sources (transfer_id);

CREATE FUNCTION refund_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = OLD.status THEN
        RETURN NEW;
    END IF;
    IF NOT ((OLD.status, NEW.status) IN (
            ('awaiting_address', 'pending_approval'), ('awaiting_address', 'sending'),
            ('awaiting_address', 'cancelled'), ('pending_approval', 'sending'),
            ('pending_approval', 'cancelled'), ('sending', 'sent'), ('sending', 'failed'),
            ('sent', 'succeeded'), ('sent', 'failed'))) THEN
        RAISE EXCEPTION 'refund % cannot move from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'RF001';
    END IF;
    NEW.status_changed_at := now();
    RETURN NEW;
END $$;

CREATE TRIGGER refunds_transition BEFORE UPDATE OF status ON refunds
    FOR EACH ROW EXECUTE FUNCTION refund_transition();
