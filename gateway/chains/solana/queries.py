"""SQL the Solana watcher needs beyond the shared transfer store (gateway.transfers)."""

from __future__ import annotations

from collections.abc import Sequence

from settlement.db import Conn

# The slow path of reference matching, taken only for a payment whose account keys matched
# nothing in the in-memory watched set: an invoice created a moment ago whose notice has not
# arrived yet, or one no longer watched (settled, cancelled, past its monitoring window), so
# the money is tied to it (and classified by the lifecycle) instead of left unmatched.
SELECT_INVOICES_BY_REFERENCE = """
SELECT solana_reference, id FROM invoices WHERE solana_reference = ANY($1::text[])
"""
# Not-yet-final Solana transfers of slots at or below `$1` (the finality sweep); the partial
# index chain_transfers_open (chain, block_number) WHERE status = 'detected' serves it.
SELECT_OPEN_SIGNATURES = """
SELECT DISTINCT tx_hash, block_number FROM chain_transfers
WHERE chain = $1 AND status = 'detected' AND block_number <= $2
ORDER BY block_number, tx_hash
LIMIT $3
"""


async def invoices_by_reference(conn: Conn, keys: Sequence[str]) -> dict[str, str]:
    """reference -> invoice id for the keys that are some invoice's Solana reference."""
    rows = await conn.fetch(SELECT_INVOICES_BY_REFERENCE, list(keys))
    return {r["solana_reference"]: r["id"] for r in rows}


async def open_signatures(conn: Conn, chain: str, max_slot: int,
                          limit: int) -> list[tuple[str, int]]:
    """(signature, slot) with transfers still `detected` in slots at or below `max_slot`."""
    rows = await conn.fetch(SELECT_OPEN_SIGNATURES, chain, max_slot, limit)
    return [(r["tx_hash"], r["block_number"]) for r in rows]
