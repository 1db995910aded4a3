"""All SQL of the events outbox: an event with its deliveries and NOTIFY; reading events."""

from __future__ import annotations

from typing import Any

import asyncpg

from settlement.db import Conn

Row = asyncpg.Record

# The outbox write as WITH items, for statements that write an event in the same round trip
# as the change itself: `ev` (the event: one row, or one per row of `{source}`, e.g. "FROM inv"
# to write it only when the change's own insert happened), `dl` (its pending deliveries) and
# `notified` (the commit-time notification; the statement must read it, e.g. count(*), or it
# is not evaluated). The placeholders are the caller's parameter numbers. The data is sent as
# text and cast, so it does not depend on the connection's jsonb codec.
EVENT_CTES = """
ev AS (
    INSERT INTO events (id, merchant_id, type, api_version, invoice_id, data)
    SELECT {id}::text, {merchant}::text, {type}::text, {version}::text, {invoice}::text,
           {data}::text::jsonb
    {source}
    RETURNING id, merchant_id, type
), dl AS (
    INSERT INTO webhook_deliveries (id, event_id, endpoint_id, merchant_id)
    SELECT 'whd_' || replace(gen_random_uuid()::text, '-', ''), ev.id, w.id, ev.merchant_id
    FROM ev
    JOIN webhook_endpoints w ON w.merchant_id = ev.merchant_id
    WHERE w.status = 'enabled'
      AND (ev.type = ANY (w.enabled_events) OR '*' = ANY (w.enabled_events))
    RETURNING 1
), notified AS (
    SELECT pg_notify('ccp_events', {notice}::text) FROM ev
)"""

# One round trip: the event, its deliveries and the commit-time notification.
INSERT_EVENT = "WITH " + EVENT_CTES.format(
    id="$1", merchant="$2", type="$3", version="$4", invoice="$5", data="$6", notice="$7",
    source="",
) + """
SELECT (SELECT count(*) FROM notified) AS notified, (SELECT count(*) FROM dl) AS deliveries
"""


async def insert_event(
    conn: Conn, *, event_id: str, merchant_id: str, type: str, api_version: str,
    invoice_id: str | None, data_json: str, notice: str,
) -> int:
    """Insert an event with its pending deliveries and notify; returns the delivery count."""
    count: Any = await conn.fetchval(
        INSERT_EVENT, event_id, merchant_id, type, api_version, invoice_id, data_json, notice,
        column=1,
    )
    return int(count)


# -- events ------------------------------------------------------------------------------------
EVENT_COLUMNS = "id, merchant_id, type, api_version, invoice_id, data, created_at"

SELECT_EVENT = f"SELECT {EVENT_COLUMNS} FROM events WHERE id = $1 AND merchant_id = $2"

LIST_EVENTS = f"""
SELECT {EVENT_COLUMNS} FROM events e
WHERE e.merchant_id = $1
  AND ($2::text IS NULL OR e.type = $2)
  AND ($3::text IS NULL OR e.invoice_id = $3)
  AND ($4::text IS NULL OR (e.created_at, e.id) < (
        SELECT c.created_at, c.id FROM events c WHERE c.id = $4 AND c.merchant_id = $1))
ORDER BY e.created_at DESC, e.id DESC
LIMIT $5
"""


async def select_event(conn: Conn, event_id: str, merchant_id: str) -> Row | None:
    return await conn.fetchrow(SELECT_EVENT, event_id, merchant_id)


async def list_events(
    conn: Conn, merchant_id: str, *, type: str | None, invoice_id: str | None,
    starting_after: str | None, limit: int,
) -> list[Row]:
    return await conn.fetch(LIST_EVENTS, merchant_id, type, invoice_id, starting_after, limit)


# -- one invoice's events (live status) --------------------------------------------------------
# One invoice has a handful of events (one per transition); the cap only bounds pathologies.
SELECT_INVOICE_EVENTS = """
SELECT id, type, data::text AS data_json, created_at FROM events
WHERE invoice_id = $1
ORDER BY created_at, id
LIMIT 1000
"""

SELECT_EVENTS_AFTER = """
SELECT e.id, e.type, e.data::text AS data_json, e.created_at FROM events e
JOIN events c ON c.id = $2 AND c.invoice_id = $1
WHERE e.invoice_id = $1 AND (e.created_at, e.id) > (c.created_at, c.id)
ORDER BY e.created_at, e.id
LIMIT 1000
"""


async def select_invoice_events(conn: Conn, invoice_id: str) -> list[Row]:
    return list(await conn.fetch(SELECT_INVOICE_EVENTS, invoice_id))


async def select_events_after(conn: Conn, invoice_id: str, event_id: str) -> list[Row]:
    """Events of the invoice newer than `event_id`; none when that id is not the invoice's."""
    return list(await conn.fetch(SELECT_EVENTS_AFTER, invoice_id, event_id))
