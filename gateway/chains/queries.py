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

# Every deposit address ever issued, as the sorted big-endian 8-byte prefixes
# gateway.chains.issued keeps (one bytea: 8 MB for a million addresses, no per-row objects).
SELECT_ISSUED_PREFIXES = """
SELECT coalesce(string_agg(int8send(p), ''::bytea ORDER BY p), ''::bytea)
FROM (SELECT ('x' || substr(lower(bsc_address), 3, 16))::bit(64)::bigint AS p
      FROM invoices WHERE bsc_address IS NOT NULL) AS issued
"""
# The invoices of some deposit addresses (the unique index on bsc_address; callers pass
# every spelling they may be stored in).
SELECT_BY_ADDRESSES = "SELECT id, bsc_address FROM invoices WHERE bsc_address = ANY($1::text[])"


async def select_watched(conn: Conn) -> list[Row]:
    return list(await conn.fetch(SELECT_WATCHED))


async def select_watched_one(conn: Conn, invoice_id: str) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_WATCHED_ONE, invoice_id)
    return row


async def issued_prefixes(conn: Conn) -> bytes:
    packed: bytes = await conn.fetchval(SELECT_ISSUED_PREFIXES)
    return packed


async def select_by_addresses(conn: Conn, addresses: list[str]) -> list[Row]:
    return list(await conn.fetch(SELECT_BY_ADDRESSES, addresses))
