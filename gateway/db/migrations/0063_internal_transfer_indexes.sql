-- BNB moved by a contract call inside a transaction (an internal transaction, found by call
-- tracing: gateway.chains.bsc.trace) is stored with log_index -2 - n, n its call frame's
-- position in the trace: logs keep >= 0 and the transaction's own native transfer -1, so the
-- unique (chain, tx_hash, log_index) never collides.
ALTER TABLE chain_transfers DROP CONSTRAINT chain_transfers_log_index_check;
