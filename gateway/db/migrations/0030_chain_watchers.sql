-- Chain watchers (gateway/chains): cursors, recent block hashes, detected transfers.
-- Shared by every chain: `chain` is 'bsc' or 'solana'. See docs/watchers.md.

-- Where each chain's watcher resumes: the last block it processed completely (Solana: the
-- last slot, with `position` holding the newest signature processed) and the highest block
-- whose transfers were marked final.
CREATE TABLE chain_cursors (
    chain            text PRIMARY KEY CHECK (length(chain) BETWEEN 1 AND 40),
    block_number     bigint NOT NULL CHECK (block_number >= 0),
    block_hash       text NOT NULL,
    finalized_number bigint NOT NULL DEFAULT -1 CHECK (finalized_number >= -1),
    position         text,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Hashes of the recent blocks the watcher followed: a new block's parentHash is checked
-- against the previous one here, and a reorg walks back through them to the fork point.
-- Rows below finality are pruned.
CREATE TABLE chain_blocks (
    chain       text NOT NULL,
    number      bigint NOT NULL CHECK (number >= 0),
    hash        text NOT NULL,
    parent_hash text NOT NULL,
    PRIMARY KEY (chain, number)
);

-- Every transfer to a watched deposit address / carrying a watched reference, stored once.
-- Native transfers use log_index -1 (Solana: the instruction index). A transfer from a block
-- that was reorged out is `removed`, and `detected` again if the transaction is re-included.
CREATE TABLE chain_transfers (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chain        text NOT NULL,
    tx_hash      text NOT NULL,
    log_index    integer NOT NULL CHECK (log_index >= -1),
    block_number bigint NOT NULL CHECK (block_number >= 0),
    block_hash   text NOT NULL,
    block_time   timestamptz,
    asset        text NOT NULL,          -- asset id: BNB, USDT_BSC, USDC_BSC, SOL, ...
    token        text,                   -- contract / mint; NULL for native coins
    from_address text,
    to_address   text NOT NULL,
    amount       numeric(78, 0) NOT NULL CHECK (amount > 0),
    invoice_id   text REFERENCES invoices (id),  -- NULL: paid to us but matching no invoice
    status       text NOT NULL DEFAULT 'detected'
                 CHECK (status IN ('detected', 'finalized', 'removed')),
    -- How the lifecycle counted it (NULL until it looked): credited to the invoice, an asset
    -- the invoice did not offer, or arrived when the invoice could take no more payments.
    disposition  text CHECK (disposition IN ('credited', 'wrong_asset', 'unapplied',
                                             'unmatched')),
    value_tiyn   bigint CHECK (value_tiyn >= 0),  -- KZT value at the invoice's locked rate
    detected_at  timestamptz NOT NULL DEFAULT now(),
    finalized_at timestamptz,
    removed_at   timestamptz,
    UNIQUE (chain, tx_hash, log_index),
    CHECK ((status = 'finalized') = (finalized_at IS NOT NULL)),
    CHECK ((status = 'removed') = (removed_at IS NOT NULL))
);
CREATE INDEX chain_transfers_invoice ON chain_transfers (invoice_id) WHERE invoice_id IS NOT NULL;
-- Finality and reorg walk-backs touch only the not-yet-final rows of one chain.
CREATE INDEX chain_transfers_open ON chain_transfers (chain, block_number)
    WHERE status = 'detected';

-- Payments that reached us but were not credited to an invoice: an asset the invoice did not
-- offer, money after the invoice was settled/cancelled/invalid, or no invoice at all. Kept for
-- refunds and admin decisions; never lost.
CREATE VIEW unmatched_payments AS
SELECT id, chain, tx_hash, log_index, block_number, block_time, asset, token, from_address,
       to_address, amount, invoice_id, status, disposition, detected_at
  FROM chain_transfers
 WHERE disposition IN ('wrong_asset', 'unapplied', 'unmatched') AND status <> 'removed';


-- The watched set reloads expired invoices still inside their monitoring window (a late
-- payment must be seen); without this index that would scan every expired invoice ever.
CREATE INDEX invoices_expired_watch ON invoices (expires_at) WHERE status = 'expired';
