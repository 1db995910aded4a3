"""SQL of the console pages: the read-only lookups they need that no other domain offers
(cross-merchant invoice search, a merchant's API keys, an invoice's ledger entries) and the
merchant terms edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from settlement.db import Conn

Row = asyncpg.Record

# --- lookups for the pages ---------------------------------------------------------------
SEARCH_INVOICES = """
SELECT i.id, i.merchant_id, m.name AS merchant_name, i.status, i.exception, i.amount,
       i.amount_paid, i.order_id, i.created_at, i.expires_at
FROM invoices i JOIN merchants m ON m.id = i.merchant_id
WHERE ($1::text IS NULL OR i.id = $1)
  AND ($2::text IS NULL OR i.order_id = $2)
  AND ($3::text IS NULL OR i.status = $3)
  AND ($4::text IS NULL OR i.merchant_id = $4)
  AND ($5::timestamptz IS NULL OR i.created_at >= $5)
  AND ($6::timestamptz IS NULL OR i.created_at < $6)
  AND ($7::timestamptz IS NULL OR (i.created_at, i.id) < ($7, $8))
ORDER BY i.created_at DESC, i.id DESC
LIMIT $9
"""
SELECT_INVOICE_CURSOR = "SELECT created_at, id FROM invoices WHERE id = $1"
SELECT_MERCHANT_KEYS = """
SELECT id, prefix, last4, created_at, revoked_at FROM api_keys
WHERE merchant_id = $1 ORDER BY created_at DESC, id DESC
"""
SELECT_API_KEY = "SELECT id, merchant_id, prefix, last4, created_at, revoked_at " \
                 "FROM api_keys WHERE id = $1"
# Bank details and fees: the merchants domain offers create and status changes only.
UPDATE_MERCHANT_TERMS = """
UPDATE merchants SET name = $2, bin = $3, iban = $4, bic = $5, fee_bps = $6, fee_fixed = $7
WHERE id = $1
RETURNING *
"""
SELECT_LEDGER_ENTRIES = """
SELECT id, idempotency_key, kind, created_at, effective_date, reverses_entry_id
FROM journal_entries WHERE reference = $1 ORDER BY id
"""


async def search_invoices(conn: Conn, values: Sequence[Any], after: tuple[datetime, str] | None,
                          limit: int) -> list[Row]:
    """values: (invoice_id, order_id, status, merchant_id, created_from, created_before)."""
    after_at, after_id = after if after else (None, None)
    return list(await conn.fetch(SEARCH_INVOICES, *values, after_at, after_id, limit))


async def select_invoice_cursor(conn: Conn, invoice_id: str) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_INVOICE_CURSOR, invoice_id)
    return row


async def select_merchant_keys(conn: Conn, merchant_id: str) -> list[Row]:
    return list(await conn.fetch(SELECT_MERCHANT_KEYS, merchant_id))


async def select_api_key(conn: Conn, key_id: str) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_API_KEY, key_id)
    return row


async def update_merchant_terms(conn: Conn, merchant_id: str, values: Sequence[Any]) -> Row | None:
    """values: (name, bin, iban, bic, fee_bps, fee_fixed)."""
    row: Row | None = await conn.fetchrow(UPDATE_MERCHANT_TERMS, merchant_id, *values)
    return row


async def select_ledger_entries(conn: Conn, reference: str) -> list[Row]:
    return list(await conn.fetch(SELECT_LEDGER_ENTRIES, reference))


# --- refunds (one refund of any merchant; gateway.refunds owns the table and its writes) --
SELECT_REFUND = """
SELECT r.*, m.name AS merchant_name
FROM refunds r JOIN merchants m ON m.id = r.merchant_id
WHERE r.id = $1
"""


async def select_refund(conn: Conn, refund_id: str) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_REFUND, refund_id)
    return row
