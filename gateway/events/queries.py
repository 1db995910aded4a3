"""All SQL of the events outbox: an event and its NOTIFY, its fan-out to deliveries, reads."""

from __future__ import annotations

import asyncpg

from settlement.db import Conn

Row = asyncpg.Record

# The outbox write as WITH items, for statements that write an event in the same round trip
# as the change itself: `ev` (the event: one row, or one per row of `{source}`, e.g. "FROM inv"
# to write it only when the change's own insert happened) and `notified` (the commit-time
# notification; the statement must read it, e.g. count(*), or it is not evaluated). The
# placeholders are the caller's parameter numbers. The data is sent as text and cast, so it
# does not depend on the connection's jsonb codec. The event's deliveries are not written
# here: the row is born `fan_out_pending` and FAN_OUT writes them after the commit.
EVENT_CTES = """
ev AS (
    INSERT INTO events (id, merchant_id, type, api_version, invoice_id, data)
    SELECT {id}::text, {merchant}::text, {type}::text, {version}::text, {invoice}::text,
           {data}::text::jsonb
    {source}
    RETURNING id
), notified AS (
    SELECT pg_notify('ccp_events', {notice}::text) FROM ev
)"""

# One round trip: the event and the commit-time notification.
INSERT_EVENT = "WITH " + EVENT_CTES.format(
    id="$1", merchant="$2", type="$3", version="$4", invoice="$5", data="$6", notice="$7",
    source="",
) + """
SELECT count(*) FROM notified
"""

# The outbox write of an event keyed by the fact it announces (events.once_key, unique): the
# second write of the same key inserts nothing and, reading `ev`, notifies no one. A
# concurrent writer of the same key waits for the first to commit or roll back.
INSERT_EVENT_ONCE = """
WITH ev AS (
    INSERT INTO events (id, merchant_id, type, api_version, invoice_id, data, once_key)
    VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::text::jsonb, $8::text)
    ON CONFLICT (once_key) WHERE once_key IS NOT NULL DO NOTHING
    RETURNING id
), notified AS (
    SELECT pg_notify('ccp_events', $7::text) FROM ev
)
SELECT count(*) FROM notified
"""

# Fan-out, in one statement: take a batch of committed events still pending (SKIP LOCKED, so
# concurrent workers take disjoint batches), clear their mark, and write one pending delivery
# per enabled endpoint of the merchant subscribed to the type and of the event's mode (a test
# event goes to test endpoints only, a live one to live endpoints only). An event is thereby
# fanned out exactly once, whoever runs this and however often. Only endpoints that existed
# when the event was written count, as when deliveries were written with the event: an
# endpoint registered while no worker ran does not receive the backlog of older events.
FAN_OUT = """
WITH due AS (
    SELECT id FROM events
    WHERE fan_out_pending
    ORDER BY created_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED
), taken AS (
    UPDATE events e SET fan_out_pending = false
    FROM due WHERE e.id = due.id
    RETURNING e.id, e.merchant_id, e.type, e.created_at, e.livemode
), dl AS (
    INSERT INTO webhook_deliveries (id, event_id, endpoint_id, merchant_id)
    SELECT 'whd_' || replace(gen_random_uuid()::text, '-', ''), t.id, w.id, t.merchant_id
    FROM taken t
    JOIN webhook_endpoints w ON w.merchant_id = t.merchant_id AND w.livemode = t.livemode
    WHERE w.status = 'enabled' AND w.created_at <= t.created_at
      AND (t.type = ANY (w.enabled_events) OR '*' = ANY (w.enabled_events))
    RETURNING 1
)
SELECT (SELECT count(*) FROM taken) AS events, (SELECT count(*) FROM dl) AS deliveries
"""


async def insert_event(
    conn: Conn, *, event_id: str, merchant_id: str, type: str, api_version: str,
    invoice_id: str | None, data_json: str, notice: str,
) -> None:
    """Insert an event and notify at commit; its deliveries follow from `fan_out`."""
    await conn.execute(
        INSERT_EVENT, event_id, merchant_id, type, api_version, invoice_id, data_json, notice
    )


async def insert_event_once(
    conn: Conn, *, event_id: str, merchant_id: str, type: str, api_version: str,
    invoice_id: str | None, data_json: str, notice: str, once_key: str,
) -> bool:
    """Insert an event unless one with `once_key` exists; whether it was inserted."""
    written: int = await conn.fetchval(
        INSERT_EVENT_ONCE, event_id, merchant_id, type, api_version, invoice_id, data_json,
        notice, once_key,
    )
    return written == 1


async def fan_out(conn: Conn, limit: int) -> Row:
    """Write the deliveries of up to `limit` pending events; the row counts both."""
    row: Row | None = await conn.fetchrow(FAN_OUT, limit)
    assert row is not None  # the final SELECT always yields one row
    return row


# -- events ------------------------------------------------------------------------------------
EVENT_COLUMNS = "id, merchant_id, type, api_version, invoice_id, data, created_at, livemode"

# `livemode` NULL: either mode (the portal); the API passes its key's mode, so an event of the
# other mode is as missing as an unknown id.
SELECT_EVENT = f"""
SELECT {EVENT_COLUMNS} FROM events
WHERE id = $1 AND merchant_id = $2 AND ($3::boolean IS NULL OR livemode = $3)"""

LIST_EVENTS = f"""
SELECT {EVENT_COLUMNS} FROM events e
WHERE e.merchant_id = $1
  AND ($2::text IS NULL OR e.type = $2)
  AND ($3::text IS NULL OR e.invoice_id = $3)
  AND ($4::text IS NULL OR (e.created_at, e.id) < (
        SELECT c.created_at, c.id FROM events c WHERE c.id = $4 AND c.merchant_id = $1))
  AND ($6::boolean IS NULL OR e.livemode = $6)
ORDER BY e.created_at DESC, e.id DESC
LIMIT $5
"""


async def select_event(conn: Conn, event_id: str, merchant_id: str, *,
                       livemode: bool | None = None) -> Row | None:
    return await conn.fetchrow(SELECT_EVENT, event_id, merchant_id, livemode)


async def list_events(
    conn: Conn, merchant_id: str, *, type: str | None, invoice_id: str | None,
    starting_after: str | None, limit: int, livemode: bool | None = None,
) -> list[Row]:
    return await conn.fetch(LIST_EVENTS, merchant_id, type, invoice_id, starting_after, limit,
                            livemode)


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
