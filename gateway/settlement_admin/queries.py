"""SQL of the settlement admin: payee bank details from merchants, the watcher's transfers.

The detected-transfers table belongs to the chain watchers (gateway migrations 0030-0039);
its presence and columns are checked at run time so reconciliation degrades to a note, not a
crash, on a database where it is missing or shaped differently.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from settlement.db import Conn

TRANSFERS_TABLE = "detected_transfers"
TRANSFER_COLUMNS = ("id", "chain", "asset", "to_address", "amount", "invoice_id")

SELECT_PAYEES = """
SELECT id, name, iban, bic, bin FROM merchants WHERE id = ANY($1::text[])
"""

SELECT_TABLE_COLUMNS = """
SELECT column_name FROM information_schema.columns
 WHERE table_schema = current_schema() AND table_name = $1
"""

# Per deposit address and asset: the units the watcher saw arrive (what the address should hold
# while funds are not swept).
SELECT_ADDRESS_EXPECTATIONS = f"""
SELECT chain, asset, to_address, sum(amount) AS units
  FROM {TRANSFERS_TABLE}
 GROUP BY chain, asset, to_address
"""

SELECT_UNMATCHED_TRANSFERS = f"""
SELECT id::text AS id, chain, asset, to_address, amount,
       to_jsonb(t) ->> 'tx_hash' AS tx_hash, to_jsonb(t) ->> 'signature' AS signature
  FROM {TRANSFERS_TABLE} t
 WHERE invoice_id IS NULL
 ORDER BY id
 LIMIT $1
"""


async def payees(conn: Conn, merchant_ids: Sequence[str]) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_PAYEES, list(merchant_ids))


async def table_columns(conn: Conn, table: str) -> set[str]:
    return {r["column_name"] for r in await conn.fetch(SELECT_TABLE_COLUMNS, table)}


async def address_expectations(conn: Conn) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_ADDRESS_EXPECTATIONS)


async def unmatched_transfers(conn: Conn, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_UNMATCHED_TRANSFERS, limit)
