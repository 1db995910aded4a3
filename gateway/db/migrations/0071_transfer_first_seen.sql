-- The block time a transfer was first seen in. A transfer re-mined after a reorg takes its new
-- block's time as block_time, but on-time / late decisions use the time it first reached the
-- chain (a shopper who paid before expiry stays on time however late the re-mining).
-- NULL on rows from before this column: their block_time is their first.
ALTER TABLE chain_transfers ADD COLUMN first_block_time timestamptz;
