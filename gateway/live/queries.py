"""SQL of the live-status streams (reads of the `events` outbox by invoice)."""

from __future__ import annotations

import asyncpg

from settlement.db import Conn

Row = asyncpg.Record

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
