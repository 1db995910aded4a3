"""SQL of detected transfers, chain cursors and recent block hashes (0030_chain_watchers.sql).

Status moves are guarded in SQL by the status they start from (`WHERE status = 'detected'`),
so a repeated or concurrent call changes nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from settlement.db import Conn

Row = asyncpg.Record

# Transfers arrive as parallel arrays (one round trip per block or batch). A transfer seen
# again after its block was reorged out is revived with its new block (keeping the block time
# it was first seen in, first_block_time, for on-time decisions); one already present and not
# removed is left alone, so re-reporting is harmless. A BEP-20 transfer's index is its log's
# place in the block, so mined again elsewhere it usually comes back under another index: a
# new row, which still takes its first time from the removed one (same tx, recipient, asset
# and amount).
UPSERT_TRANSFERS = """
INSERT INTO chain_transfers AS t (chain, tx_hash, log_index, block_number, block_hash,
                                  block_time, first_block_time, asset, token, from_address,
                                  to_address, amount, invoice_id, disposition)
SELECT $1, x.tx_hash, x.log_index, x.block_number, x.block_hash, x.block_time,
       coalesce((SELECT min(coalesce(r.first_block_time, r.block_time)) FROM chain_transfers r
                  WHERE r.chain = $1 AND r.tx_hash = x.tx_hash AND r.status = 'removed'
                    AND r.to_address = x.to_address AND r.asset = x.asset
                    AND r.amount = x.amount::numeric(78, 0)), x.block_time),
       x.asset, x.token, x.from_address, x.to_address, x.amount::numeric(78, 0), x.invoice_id,
       CASE WHEN x.invoice_id IS NULL THEN 'unmatched' END
FROM unnest($2::text[], $3::integer[], $4::bigint[], $5::text[], $6::timestamptz[],
            $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
     AS x(tx_hash, log_index, block_number, block_hash, block_time, asset, token,
          from_address, to_address, amount, invoice_id)
ON CONFLICT (chain, tx_hash, log_index) DO UPDATE
SET block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash,
    block_time = EXCLUDED.block_time,
    first_block_time = coalesce(t.first_block_time, t.block_time, EXCLUDED.block_time),
    status = 'detected', removed_at = NULL,
    disposition = EXCLUDED.disposition, value_tiyn = NULL
WHERE t.status = 'removed'
RETURNING t.invoice_id
"""
COUNT_FINAL_ABOVE = """
SELECT count(*) FROM chain_transfers
WHERE chain = $1 AND status = 'finalized' AND block_number > $2
"""
REMOVE_ABOVE = """
UPDATE chain_transfers SET status = 'removed', removed_at = now()
WHERE chain = $1 AND status = 'detected' AND block_number > $2
RETURNING invoice_id
"""
REMOVE_TXS = """
UPDATE chain_transfers SET status = 'removed', removed_at = now()
WHERE chain = $1 AND status = 'detected' AND tx_hash = ANY($2::text[])
RETURNING invoice_id
"""
FINALIZE_THROUGH = """
UPDATE chain_transfers SET status = 'finalized', finalized_at = now()
WHERE chain = $1 AND status = 'detected' AND block_number <= $2
RETURNING invoice_id
"""
FINALIZE_TXS = """
UPDATE chain_transfers SET status = 'finalized', finalized_at = now()
WHERE chain = $1 AND status = 'detected' AND tx_hash = ANY($2::text[])
RETURNING invoice_id
"""
SELECT_CURSOR = "SELECT * FROM chain_cursors WHERE chain = $1"
LOCK_CURSOR = SELECT_CURSOR + " FOR UPDATE"
UPSERT_CURSOR = """
INSERT INTO chain_cursors (chain, block_number, block_hash, position)
VALUES ($1, $2, $3, $4)
ON CONFLICT (chain) DO UPDATE
SET block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash,
    position = coalesce(EXCLUDED.position, chain_cursors.position), updated_at = now()
"""
# Only the cursor the caller saw: one another writer moved meanwhile stays.
DELETE_CURSOR = "DELETE FROM chain_cursors WHERE chain = $1 AND block_hash = $2"
SET_FINALIZED_NUMBER = """
UPDATE chain_cursors SET finalized_number = greatest(finalized_number, $2), updated_at = now()
WHERE chain = $1
"""
LOWER_FINALIZED_NUMBER = """
UPDATE chain_cursors SET finalized_number = least(finalized_number, $2), updated_at = now()
WHERE chain = $1
"""
UPSERT_BLOCKS = """
INSERT INTO chain_blocks (chain, number, hash, parent_hash)
SELECT $1, b.number, b.hash, b.parent_hash
FROM unnest($2::bigint[], $3::text[], $4::text[]) AS b(number, hash, parent_hash)
ON CONFLICT (chain, number) DO UPDATE
SET hash = EXCLUDED.hash, parent_hash = EXCLUDED.parent_hash
"""
SELECT_BLOCK_HASHES = """
SELECT number, hash FROM chain_blocks WHERE chain = $1 AND number BETWEEN $2 AND $3
"""
DELETE_BLOCKS_ABOVE = "DELETE FROM chain_blocks WHERE chain = $1 AND number > $2"
PRUNE_BLOCKS_BELOW = "DELETE FROM chain_blocks WHERE chain = $1 AND number < $2"
SELECT_LOWEST_BLOCK = "SELECT min(number) FROM chain_blocks WHERE chain = $1"
# The slow path of reference matching, taken only for a payment whose account keys matched
# nothing in a watcher's in-memory watched set: an invoice created a moment ago whose notice
# has not arrived yet, or one no longer watched (settled, cancelled, past its monitoring
# window), so the money is tied to it (and classified by the lifecycle) instead of left
# unmatched.
SELECT_INVOICES_BY_REFERENCE = """
SELECT solana_reference, id FROM invoices WHERE solana_reference = ANY($1::text[])
"""
# Not-yet-final transfers (the Solana finality sweep); the partial index
# chain_transfers_open (chain, block_number) WHERE status = 'detected' serves it.
SELECT_OPEN_TRANSACTIONS = """
SELECT DISTINCT tx_hash, block_number FROM chain_transfers
WHERE chain = $1 AND status = 'detected'
ORDER BY block_number, tx_hash
LIMIT $2
"""
# How the lifecycle counted a transfer, decided once (set only while still NULL).
CLASSIFY_TRANSFERS = """
UPDATE chain_transfers AS t SET disposition = c.disposition, value_tiyn = c.value_tiyn
FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS c(id, disposition, value_tiyn)
WHERE t.id = c.id AND t.disposition IS NULL
"""
# At settlement, credited transfers that are not final yet are no longer part of the sale
# (the booking covers the final ones): they become refundable, unapplied payments.
UNAPPLY_OPEN_CREDITS = """
UPDATE chain_transfers SET disposition = 'unapplied'
WHERE invoice_id = $1 AND disposition = 'credited' AND status = 'detected'
"""
# Assigning a payment hands it to the invoice as a transfer the lifecycle has not looked at:
# it classifies it again (credited when the invoice can still take it).
REASSIGN_TRANSFER = """
UPDATE chain_transfers SET invoice_id = $2, disposition = NULL, value_tiyn = NULL
 WHERE id = $1 AND status <> 'removed'
"""
SELECT_INVOICE_TRANSFERS = """
SELECT * FROM chain_transfers WHERE invoice_id = $1 ORDER BY block_number, tx_hash, log_index
"""


def _invoice_ids(rows: Sequence[Row]) -> set[str]:
    return {r["invoice_id"] for r in rows if r["invoice_id"] is not None}


async def upsert_transfers(conn: Conn, chain: str, columns: Sequence[list[Any]]) -> set[str]:
    """Insert (or revive) transfers given as 11 parallel columns; the invoices touched."""
    return _invoice_ids(await conn.fetch(UPSERT_TRANSFERS, chain, *columns))


async def count_final_above(conn: Conn, chain: str, number: int) -> int:
    count: int = await conn.fetchval(COUNT_FINAL_ABOVE, chain, number)
    return count


async def remove_above(conn: Conn, chain: str, number: int) -> set[str]:
    return _invoice_ids(await conn.fetch(REMOVE_ABOVE, chain, number))


async def remove_txs(conn: Conn, chain: str, tx_hashes: Sequence[str]) -> set[str]:
    return _invoice_ids(await conn.fetch(REMOVE_TXS, chain, list(tx_hashes)))


async def finalize_through(conn: Conn, chain: str, number: int) -> set[str]:
    return _invoice_ids(await conn.fetch(FINALIZE_THROUGH, chain, number))


async def finalize_txs(conn: Conn, chain: str, tx_hashes: Sequence[str]) -> set[str]:
    return _invoice_ids(await conn.fetch(FINALIZE_TXS, chain, list(tx_hashes)))


async def select_cursor(conn: Conn, chain: str) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_CURSOR, chain)
    return row


async def lock_cursor(conn: Conn, chain: str) -> Row | None:
    row: Row | None = await conn.fetchrow(LOCK_CURSOR, chain)
    return row


async def delete_cursor(conn: Conn, chain: str, block_hash: str) -> bool:
    return str(await conn.execute(DELETE_CURSOR, chain, block_hash)) == "DELETE 1"


async def upsert_cursor(conn: Conn, chain: str, number: int, block_hash: str,
                        position: str | None) -> None:
    await conn.execute(UPSERT_CURSOR, chain, number, block_hash, position)


async def set_finalized_number(conn: Conn, chain: str, number: int) -> None:
    await conn.execute(SET_FINALIZED_NUMBER, chain, number)


async def lower_finalized_number(conn: Conn, chain: str, number: int) -> None:
    await conn.execute(LOWER_FINALIZED_NUMBER, chain, number)


async def upsert_blocks(conn: Conn, chain: str, numbers: list[int], hashes: list[str],
                        parents: list[str]) -> None:
    await conn.execute(UPSERT_BLOCKS, chain, numbers, hashes, parents)


async def select_block_hashes(conn: Conn, chain: str, lo: int, hi: int) -> dict[int, str]:
    return {r["number"]: r["hash"] for r in await conn.fetch(SELECT_BLOCK_HASHES, chain, lo, hi)}


async def delete_blocks_above(conn: Conn, chain: str, number: int) -> None:
    await conn.execute(DELETE_BLOCKS_ABOVE, chain, number)


async def prune_blocks_below(conn: Conn, chain: str, number: int) -> None:
    await conn.execute(PRUNE_BLOCKS_BELOW, chain, number)


async def select_lowest_block(conn: Conn, chain: str) -> int | None:
    lowest: int | None = await conn.fetchval(SELECT_LOWEST_BLOCK, chain)
    return lowest


async def select_invoice_transfers(conn: Conn, invoice_id: str) -> list[Row]:
    return list(await conn.fetch(SELECT_INVOICE_TRANSFERS, invoice_id))


async def select_invoices_by_reference(conn: Conn, keys: Sequence[str]) -> dict[str, str]:
    rows = await conn.fetch(SELECT_INVOICES_BY_REFERENCE, list(keys))
    return {r["solana_reference"]: r["id"] for r in rows}


async def select_open_transactions(conn: Conn, chain: str, limit: int) -> list[tuple[str, int]]:
    rows = await conn.fetch(SELECT_OPEN_TRANSACTIONS, chain, limit)
    return [(r["tx_hash"], r["block_number"]) for r in rows]


async def classify_transfers(conn: Conn, ids: Sequence[int], dispositions: Sequence[str],
                             values: Sequence[int | None]) -> None:
    await conn.execute(CLASSIFY_TRANSFERS, list(ids), list(dispositions), list(values))


async def unapply_open_credits(conn: Conn, invoice_id: str) -> None:
    await conn.execute(UNAPPLY_OPEN_CREDITS, invoice_id)


async def reassign_transfer(conn: Conn, transfer_id: int, invoice_id: str) -> None:
    await conn.execute(REASSIGN_TRANSFER, transfer_id, invoice_id)
