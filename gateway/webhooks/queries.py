"""All SQL of the webhooks domain, as named constants with one async function per query."""

from __future__ import annotations

from typing import Any

import asyncpg

from settlement.db import Conn

Row = asyncpg.Record

# One round trip: the event, its deliveries and the commit-time notification. The data is sent
# as text and cast, so it does not depend on the connection's jsonb codec.
INSERT_EVENT = """
WITH ev AS (
    INSERT INTO events (id, merchant_id, type, api_version, invoice_id, data)
    VALUES ($1, $2, $3, $4, $5, $6::text::jsonb)
    RETURNING id, merchant_id, type
), dl AS (
    INSERT INTO webhook_deliveries (id, event_id, endpoint_id, merchant_id)
    SELECT 'whd_' || replace(gen_random_uuid()::text, '-', ''), ev.id, w.id, ev.merchant_id
    FROM ev
    JOIN webhook_endpoints w ON w.merchant_id = ev.merchant_id
    WHERE w.status = 'enabled'
      AND (ev.type = ANY (w.enabled_events) OR '*' = ANY (w.enabled_events))
    RETURNING 1
)
SELECT pg_notify('ccp_events', $7), (SELECT count(*) FROM dl) AS deliveries
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
