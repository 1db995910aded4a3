"""SQL of invoices and their payment options (tables in 0011_invoices.sql).

Status changes go through `update_status`, guarded by `WHERE status = $expected`: a
concurrent change makes it return None instead of silently overwriting the other writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from settlement.db import Conn

Row = asyncpg.Record

NEXT_BSC_INDEX = "SELECT nextval('bsc_address_index_seq')::integer"

# One statement writes the invoice and all its options (one round trip on the hot path).
# Options arrive as parallel arrays; amount_units as text so no integer width limits apply.
INSERT_INVOICE = """
WITH inv AS (
    INSERT INTO invoices (id, merchant_id, amount, currency, order_id, description, metadata,
                          redirect_url, expires_at, monitoring_window, late_accept_window,
                          tolerance_bps, tolerance_tiyn, bsc_address, bsc_address_index,
                          solana_reference, solana_recipient, qr_token)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9), $10, $11,
            $12, $13, $14, $15, $16, $17, $18)
    RETURNING *
), opts AS (
    INSERT INTO invoice_payment_options (invoice_id, asset, position, chain, symbol, token,
                                         decimals, amount_units, rate, rate_source,
                                         rate_fetched_at, uri)
    SELECT inv.id, o.asset, o.position, o.chain, o.symbol, o.token, o.decimals,
           o.amount_units::numeric(78, 0), o.rate, o.rate_source, o.rate_fetched_at, o.uri
    FROM inv, unnest($19::text[], $20::smallint[], $21::text[], $22::text[], $23::text[],
                     $24::smallint[], $25::text[], $26::numeric[], $27::text[],
                     $28::timestamptz[], $29::text[])
         AS o(asset, position, chain, symbol, token, decimals, amount_units, rate,
              rate_source, rate_fetched_at, uri)
)
SELECT * FROM inv
"""
SELECT_INVOICE = "SELECT * FROM invoices WHERE id = $1 AND merchant_id = $2"
SELECT_INVOICE_FOR_UPDATE = SELECT_INVOICE + " FOR UPDATE"
SELECT_INVOICE_ANY_MERCHANT = "SELECT * FROM invoices WHERE id = $1"
SELECT_OPTIONS = """
SELECT * FROM invoice_payment_options WHERE invoice_id = ANY($1::text[])
ORDER BY invoice_id, position
"""
SELECT_CURSOR = "SELECT created_at, id FROM invoices WHERE id = $1 AND merchant_id = $2"
# Newest first; the cursor is the (created_at, id) of the last invoice already seen.
LIST_INVOICES = """
SELECT * FROM invoices
WHERE merchant_id = $1
  AND ($2::text IS NULL OR status = $2)
  AND ($3::text IS NULL OR order_id = $3)
  AND ($4::timestamptz IS NULL OR created_at >= $4)
  AND ($5::timestamptz IS NULL OR created_at <= $5)
  AND ($6::timestamptz IS NULL OR (created_at, id) < ($6, $7))
ORDER BY created_at DESC, id DESC
LIMIT $8
"""
UPDATE_STATUS = """
UPDATE invoices
SET status = $3, exception = coalesce($4, exception), status_changed_at = now()
WHERE id = $1 AND status = $2
RETURNING *
"""
UPDATE_AMOUNT_PAID = """
UPDATE invoices SET amount_paid = $2, exception = $3 WHERE id = $1 RETURNING *
"""
SELECT_QR_URI = """
SELECT o.uri FROM invoices i JOIN invoice_payment_options o ON o.invoice_id = i.id
WHERE i.qr_token = $1 AND o.asset = $2
"""
# What the chain watchers must watch: open invoices, and expired ones still inside their
# monitoring window (a late payment must still be seen to be refunded or accepted).
SELECT_WATCHABLE = """
SELECT * FROM invoices
WHERE status IN ('new', 'processing')
   OR (status = 'expired' AND now() < expires_at + monitoring_window)
"""


async def next_bsc_index(conn: Conn) -> int:
    index: int = await conn.fetchval(NEXT_BSC_INDEX)
    return index


async def insert_invoice(conn: Conn, invoice: Sequence[Any], options: Sequence[list[Any]]) -> Row:
    """Insert the invoice (18 values) and its options (11 parallel columns); returns the row."""
    row: Row | None = await conn.fetchrow(INSERT_INVOICE, *invoice, *options)
    assert row is not None  # INSERT ... RETURNING always yields its row
    return row


async def select_invoice(conn: Conn, invoice_id: str, merchant_id: str) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_INVOICE, invoice_id, merchant_id)
    return row


async def select_invoice_for_update(conn: Conn, invoice_id: str, merchant_id: str) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_INVOICE_FOR_UPDATE, invoice_id, merchant_id)
    return row


async def select_invoice_any_merchant(conn: Conn, invoice_id: str) -> Row | None:
    """For internal callers (watchers, checkout) that are not scoped to one merchant."""
    row: Row | None = await conn.fetchrow(SELECT_INVOICE_ANY_MERCHANT, invoice_id)
    return row


async def select_options(conn: Conn, invoice_ids: Sequence[str]) -> list[Row]:
    return list(await conn.fetch(SELECT_OPTIONS, list(invoice_ids)))


async def select_cursor(conn: Conn, invoice_id: str, merchant_id: str) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_CURSOR, invoice_id, merchant_id)
    return row


async def list_invoices(
    conn: Conn, merchant_id: str, *, status: str | None, order_id: str | None,
    created_gte: datetime | None, created_lte: datetime | None,
    after: tuple[datetime, str] | None, limit: int,
) -> list[Row]:
    after_at, after_id = after if after else (None, None)
    return list(await conn.fetch(LIST_INVOICES, merchant_id, status, order_id, created_gte,
                                 created_lte, after_at, after_id, limit))


async def update_status(conn: Conn, invoice_id: str, expected: str, target: str,
                        exception: str | None = None) -> Row | None:
    """Move `invoice_id` from `expected` to `target`; None when it was not in `expected`."""
    row: Row | None = await conn.fetchrow(UPDATE_STATUS, invoice_id, expected, target, exception)
    return row


async def update_amount_paid(conn: Conn, invoice_id: str, amount_paid: int,
                             exception: str | None) -> Row | None:
    row: Row | None = await conn.fetchrow(UPDATE_AMOUNT_PAID, invoice_id, amount_paid, exception)
    return row


async def select_qr_uri(conn: Conn, qr_token: str, asset_id: str) -> str | None:
    uri: str | None = await conn.fetchval(SELECT_QR_URI, qr_token, asset_id)
    return uri


async def select_watchable(conn: Conn) -> list[Row]:
    return list(await conn.fetch(SELECT_WATCHABLE))

