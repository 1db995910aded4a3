"""SQL of invoices and their payment options (tables in 0011_invoices.sql).

Invoice status is written only by the lifecycle (gateway.lifecycle.queries).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from gateway.events.queries import EVENT_CTES
from gateway.http.queries import CLAIM_CTE, SAVE_CTE
from settlement.db import Conn

Row = asyncpg.Record

# A block of BIP-44 indexes for one process (gateway.invoices.indexes), in one round trip.
NEXT_BSC_INDEXES = "SELECT nextval('bsc_address_index_seq')::integer FROM generate_series(1, $1)"

# The invoice, its options, its `invoice.created` event (with deliveries and NOTIFY) in ONE
# statement, so the create path is one round trip and, with no explicit transaction, commits
# in it too. Options arrive as one JSON array of objects (one parameter instead of eleven
# arrays: asyncpg encodes array elements one by one); amounts and rates are JSON strings so
# they reach numeric exactly. `{gate}` is empty, or the idempotency claim that must let the
# insert through.
_CREATE_CTES = """
inv AS (
    INSERT INTO invoices (id, merchant_id, amount, currency, order_id, description, metadata,
                          redirect_url, created_at, expires_at, monitoring_window,
                          late_accept_window, tolerance_bps, tolerance_tiyn, bsc_address,
                          bsc_address_index, solana_reference, solana_recipient, qr_token)
    SELECT $1::text, $2::text, $3::bigint, $4::text, $5::text, $6::text, $7::jsonb, $8::text,
           $9::timestamptz, $10::timestamptz, $11::interval, $12::interval, $13::integer,
           $14::bigint, $15::text, $16::integer, $17::text, $18::text, $19::text
    {gate}
    RETURNING id
), opts AS (
    INSERT INTO invoice_payment_options (invoice_id, asset, position, chain, symbol, token,
                                         decimals, amount_units, rate, rate_source,
                                         rate_fetched_at, uri)
    SELECT inv.id, o.asset, o.position, o.chain, o.symbol, o.token, o.decimals,
           o.amount_units, o.rate, o.rate_source, o.rate_fetched_at, o.uri
    FROM inv, json_to_recordset($20::json)
         AS o(asset text, position smallint, chain text, symbol text, token text,
              decimals smallint, amount_units numeric(78, 0), rate numeric, rate_source text,
              rate_fetched_at timestamptz, uri text)
),"""
_CREATED_EVENT = EVENT_CTES.format(
    id="$21", merchant="$2", type="$22", version="$23", invoice="$1", data="$24", notice="$25",
    source="FROM inv",
)
CREATE_INVOICE = (
    "WITH" + _CREATE_CTES.format(gate="") + _CREATED_EVENT
    + "\nSELECT (SELECT count(*) FROM inv) AS created, (SELECT count(*) FROM notified) AS notified"
)
# The same behind an Idempotency-Key: the claim gates the insert, the response is saved with it.
# Row: the claim's columns (locked, and the saved response of an earlier request if any),
# `created` (1 when this request's invoice was written).
CREATE_INVOICE_IDEMPOTENT = (
    "WITH" + CLAIM_CTE.format(merchant="$2", key="$26", ttl="$27") + ","
    + _CREATE_CTES.format(gate="FROM claim WHERE claim.locked AND claim.request_hash IS NULL")
    + _CREATED_EVENT + ","
    # The saved response is the event's data ($24) as UTF-8 bytes: sent once, not twice.
    + SAVE_CTE.format(merchant="$2", key="$26", hash="$28",
                      body="convert_to($24::text, 'UTF8')", content_type="$29",
                      source="FROM inv")
    + """
SELECT claim.*, (SELECT count(*) FROM inv) AS created, (SELECT count(*) FROM saved) AS saved_now,
       (SELECT count(*) FROM notified) AS notified
FROM claim"""
)
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


async def next_bsc_indexes(conn: Conn, count: int) -> list[int]:
    return [row[0] for row in await conn.fetch(NEXT_BSC_INDEXES, count)]


async def create_invoice(conn: Conn, invoice: Sequence[Any], options_json: str,
                         event: Sequence[Any], claim: Sequence[Any] | None) -> Row:
    """Run CREATE_INVOICE (`claim` None) or CREATE_INVOICE_IDEMPOTENT.

    invoice: 19 values ($1..$19); options_json: the options as a JSON array of objects keyed
    by column; event: id, type, api version, data (JSON text, also the saved response body),
    notice; claim: key, ttl, request hash, content type.
    """
    query, extra = (CREATE_INVOICE, ()) if claim is None else (CREATE_INVOICE_IDEMPOTENT, claim)
    row: Row | None = await conn.fetchrow(query, *invoice, options_json, *event, *extra)
    assert row is not None  # the final SELECT always yields one row
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


async def select_qr_uri(conn: Conn, qr_token: str, asset_id: str) -> str | None:
    uri: str | None = await conn.fetchval(SELECT_QR_URI, qr_token, asset_id)
    return uri


async def select_watchable(conn: Conn) -> list[Row]:
    return list(await conn.fetch(SELECT_WATCHABLE))

