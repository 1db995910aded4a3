"""SQL of the watched set: the invoices whose deposit addresses and Solana references a
watcher matches payments against (read only; the invoices package writes them)."""

from __future__ import annotations

import asyncpg

from settlement.db import Conn

Row = asyncpg.Record

# The watched set: open invoices and expired ones inside their monitoring window (at most
# MAX_MONITORING_DAYS old, so the expired-invoice index bounds the scan).
SELECT_WATCHED = """
SELECT id, bsc_address, solana_reference FROM invoices
WHERE status IN ('new', 'processing')
UNION ALL
SELECT id, bsc_address, solana_reference FROM invoices
WHERE status = 'expired' AND expires_at > now() - interval '31 days'
  AND now() < expires_at + monitoring_window
"""
SELECT_WATCHED_ONE = "SELECT id, bsc_address, solana_reference FROM invoices WHERE id = $1"


async def select_watched(conn: Conn) -> list[Row]:
    return list(await conn.fetch(SELECT_WATCHED))


async def select_watched_one(conn: Conn, invoice_id: str) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_WATCHED_ONE, invoice_id)
    return row
