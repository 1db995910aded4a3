-- The refund sender's transactions (gateway/refunds/sending, issue 12): exactly once.
--
-- One row per transaction built for a refund. The signed bytes and their hash are stored and
-- committed (with the in-transit booking) before the bytes are broadcast; after a restart the
-- same bytes are broadcast again, never a second transaction. A refund has at most one live
-- row; a Solana row whose blockhash expired unseen is `replaced` by a new one.
--   built      unsigned bytes stored (offline mode: waiting for the operator's signature)
--   signed     signed bytes and tx_hash stored, not yet accepted by a node
--   broadcast  a node accepted the bytes (or already had them)
--   final      final on chain, succeeded
--   failed     final on chain and reverted / failed
--   replaced   a Solana transaction whose blockhash expired before it landed
CREATE TABLE refund_transactions (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    refund_id               text NOT NULL REFERENCES refunds (id),
    chain                   text NOT NULL CHECK (chain IN ('bsc', 'solana')),
    from_address            text NOT NULL CHECK (length(from_address) BETWEEN 32 AND 64),
    nonce                   bigint CHECK (nonce >= 0),                    -- BNB Chain
    recent_blockhash        text,                                         -- Solana
    last_valid_block_height bigint CHECK (last_valid_block_height >= 0),  -- Solana
    unsigned_tx             bytea NOT NULL,
    signed_tx               bytea,
    tx_hash                 text UNIQUE,
    status                  text NOT NULL CHECK (status IN
                                ('built', 'signed', 'broadcast', 'final', 'failed', 'replaced')),
    created_at              timestamptz NOT NULL DEFAULT now(),
    signed_at               timestamptz,
    broadcast_at            timestamptz,
    finished_at             timestamptz,
    CHECK ((chain = 'bsc') = (nonce IS NOT NULL)),
    CHECK ((chain = 'solana') = (recent_blockhash IS NOT NULL
                                 AND last_valid_block_height IS NOT NULL)),
    CHECK ((status = 'built') = (signed_tx IS NULL)),
    CHECK ((signed_tx IS NULL) = (tx_hash IS NULL))
);
CREATE UNIQUE INDEX refund_transactions_live ON refund_transactions (refund_id)
    WHERE status IN ('built', 'signed', 'broadcast', 'final');
-- A BNB Chain nonce is used by one transaction only.
CREATE UNIQUE INDEX refund_transactions_nonce ON refund_transactions (chain, from_address, nonce)
    WHERE nonce IS NOT NULL;

-- The next nonce of each sending address, allocated under FOR UPDATE of its row.
CREATE TABLE refund_nonces (
    chain       text NOT NULL CHECK (chain = 'bsc'),
    address     text NOT NULL,
    next_nonce  bigint NOT NULL CHECK (next_nonce >= 0),
    PRIMARY KEY (chain, address)
);
