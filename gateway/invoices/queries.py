"""SQL of invoices and their payment options (tables in 0011_invoices.sql).

Invoice status is written only by the lifecycle (gateway.lifecycle.queries).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from settlement.db import Conn

Row = asyncpg.Record

# A block of BIP-44 indexes for one process (gateway.invoices.indexes), in one round trip.
NEXT_BSC_INDEXES = "SELECT nextval('bsc_address_index_seq')::integer FROM generate_series(1, $1)"

# The invoice, its options and its `invoice.created` event in ONE statement: one round trip
# inside the request's transaction. Options arrive as one JSON array of objects (one parameter
# instead of eleven arrays: asyncpg encodes array elements one by one); amounts and rates are
# JSON strings so they reach numeric exactly. The event's data ($22) is the response body, sent
# as text and cast, so it does not depend on the connection's jsonb codec. The event row is the
# one gateway.events.outbox.emit writes (its deliveries are written after the commit by the
# fan-out, migration 0022); its notice is sent after the commit (NOTIFY_EVENTS).
CREATE_INVOICE = """
WITH inv AS (
    INSERT INTO invoices (id, merchant_id, amount, currency, order_id, description, metadata,
                          redirect_url, created_at, expires_at, monitoring_window,
                          late_accept_window, tolerance_bps, tolerance_tiyn, bsc_address,
                          bsc_address_index, solana_reference, solana_recipient, qr_token,
                          livemode)
    VALUES ($1::text, $2::text, $3::bigint, $4::text, $5::text, $6::text, $7::jsonb, $8::text,
            $9::timestamptz, $10::timestamptz, $11::interval, $12::interval, $13::integer,
            $14::bigint, $15::text, $16::integer, $17::text, $18::text, $19::text,
            $24::boolean)
    RETURNING id, merchant_id
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
)
INSERT INTO events (id, merchant_id, type, api_version, invoice_id, data)
SELECT $21::text, inv.merchant_id, 'invoice.created', $23::text, inv.id, $22::text::jsonb
FROM inv
"""
# The `invoice.created` notices (the watchers, live status and webhook workers wake on them),
# of a batch of committed creates (gateway.invoices.notices), in a transaction of their own: a
# NOTIFY in the writing transaction holds PostgreSQL's one notify-queue lock (cluster-wide)
# until that commit's WAL flush is done, so concurrent creates committed one at a time
# (measured: half the throughput, +0.3 ms of database CPU per create at 20 connections).
# Alone it writes no WAL and holds the lock for microseconds. In array order.
NOTIFY_EVENTS = """
SELECT pg_notify('ccp_events', notice) FROM unnest($1::text[]) WITH ORDINALITY AS n(notice, i)
ORDER BY i
"""
# `livemode` ($3) NULL: either mode (the portal and console); the API passes its key's mode,
# so an object of the other mode is as missing as an unknown id.
SELECT_INVOICE = """
SELECT * FROM invoices
WHERE id = $1 AND merchant_id = $2 AND ($3::boolean IS NULL OR livemode = $3)"""
SELECT_INVOICE_FOR_UPDATE = SELECT_INVOICE + " FOR UPDATE"
SELECT_INVOICE_ANY_MERCHANT = "SELECT * FROM invoices WHERE id = $1"
SELECT_OPTIONS = """
SELECT * FROM invoice_payment_options WHERE invoice_id = ANY($1::text[])
ORDER BY invoice_id, position
"""
# The transfers tied to invoices (read-only here; gateway.transfers writes them), served by
# the partial index chain_transfers_invoice.
SELECT_PAYMENTS = """
SELECT * FROM chain_transfers WHERE invoice_id = ANY($1::text[])
ORDER BY invoice_id, detected_at, id
"""
# The invoices' refunds (gateway.refunds writes them), oldest first; `live` as
# gateway.refunds.states.LIVE (not failed, not cancelled: still holding its money).
SELECT_REFUNDS = """
SELECT invoice_id, id, stranded_amount, status NOT IN ('failed', 'cancelled') AS live
FROM refunds WHERE invoice_id = ANY($1::text[])
ORDER BY invoice_id, created_at, id
"""
SELECT_CURSOR = """
SELECT created_at, id FROM invoices
WHERE id = $1 AND merchant_id = $2 AND ($3::boolean IS NULL OR livemode = $3)"""
# Newest first; the cursor is the (created_at, id) of the last invoice already seen.
LIST_INVOICES = """
SELECT * FROM invoices
WHERE merchant_id = $1
  AND ($2::text IS NULL OR status = $2)
  AND ($3::text IS NULL OR order_id = $3)
  AND ($4::timestamptz IS NULL OR created_at >= $4)
  AND ($5::timestamptz IS NULL OR created_at <= $5)
  AND ($6::timestamptz IS NULL OR (created_at, id) < ($6, $7))
  AND ($9::boolean IS NULL OR livemode = $9)
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
                         event_id: str, event_data: str, api_version: str,
                         livemode: bool = True) -> None:
    """Run CREATE_INVOICE: invoice values $1..$19 in its column order, options as a JSON array
    of objects keyed by column, the `invoice.created` event's id, data (JSON text) and payload
    version; `livemode` ($24) False for a test invoice."""
    await conn.execute(CREATE_INVOICE, *invoice, options_json, event_id, event_data,
                       api_version, livemode)


async def notify_events(conn: Conn, notices: list[str]) -> None:
    await conn.execute(NOTIFY_EVENTS, notices)


async def select_invoice(conn: Conn, invoice_id: str, merchant_id: str, *,
                         livemode: bool | None = None) -> Row | None:
    """The merchant's invoice; with `livemode`, only if it is of that mode."""
    row: Row | None = await conn.fetchrow(SELECT_INVOICE, invoice_id, merchant_id, livemode)
    return row


async def select_invoice_for_update(conn: Conn, invoice_id: str, merchant_id: str, *,
                                    livemode: bool | None = None) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_INVOICE_FOR_UPDATE, invoice_id, merchant_id,
                                          livemode)
    return row


async def select_invoice_any_merchant(conn: Conn, invoice_id: str) -> Row | None:
    """For internal callers (watchers, checkout) that are not scoped to one merchant."""
    row: Row | None = await conn.fetchrow(SELECT_INVOICE_ANY_MERCHANT, invoice_id)
    return row


async def select_options(conn: Conn, invoice_ids: Sequence[str]) -> list[Row]:
    return list(await conn.fetch(SELECT_OPTIONS, list(invoice_ids)))


async def select_payments(conn: Conn, invoice_ids: Sequence[str]) -> list[Row]:
    return list(await conn.fetch(SELECT_PAYMENTS, list(invoice_ids)))


async def select_refunds(conn: Conn, invoice_ids: Sequence[str]) -> list[Row]:
    return list(await conn.fetch(SELECT_REFUNDS, list(invoice_ids)))


async def select_cursor(conn: Conn, invoice_id: str, merchant_id: str, *,
                        livemode: bool | None = None) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_CURSOR, invoice_id, merchant_id, livemode)
    return row


async def list_invoices(
    conn: Conn, merchant_id: str, *, status: str | None, order_id: str | None,
    created_gte: datetime | None, created_lte: datetime | None,
    after: tuple[datetime, str] | None, limit: int, livemode: bool | None = None,
) -> list[Row]:
    after_at, after_id = after if after else (None, None)
    return list(await conn.fetch(LIST_INVOICES, merchant_id, status, order_id, created_gte,
                                 created_lte, after_at, after_id, limit, livemode))


async def select_qr_uri(conn: Conn, qr_token: str, asset_id: str) -> str | None:
    uri: str | None = await conn.fetchval(SELECT_QR_URI, qr_token, asset_id)
    return uri


async def select_watchable(conn: Conn) -> list[Row]:
    return list(await conn.fetch(SELECT_WATCHABLE))

