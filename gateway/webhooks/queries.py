"""All SQL of the webhooks domain, as named constants with one async function per query."""

from __future__ import annotations

from typing import Any

import asyncpg

from settlement.db import Conn

Row = asyncpg.Record

# -- endpoints -------------------------------------------------------------------------------
ENDPOINT_COLUMNS = ("id, merchant_id, url, description, enabled_events, status, created_at, "
                    "livemode")

INSERT_ENDPOINT = f"""
INSERT INTO webhook_endpoints (id, merchant_id, url, description, enabled_events, secret,
                               livemode)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING {ENDPOINT_COLUMNS}
"""

# Secrets written before they were encrypted at rest (gateway/webhooks/sealing.py).
SELECT_PLAIN_SECRETS = """
SELECT id, secret FROM webhook_endpoints WHERE secret NOT LIKE 'enc:%' FOR UPDATE
"""
UPDATE_SECRET = "UPDATE webhook_endpoints SET secret = $2 WHERE id = $1"

# Serialises endpoint creation per merchant (until the transaction ends), so two concurrent
# creations cannot both see room under the cap.
LOCK_MERCHANT_ENDPOINTS = """
SELECT pg_advisory_xact_lock(hashtextextended('webhook_endpoints:' || $1, 0))
"""

# The cap is per mode: an event fans out to the endpoints of its own mode only.
COUNT_LIVE_ENDPOINTS = """
SELECT count(*) FROM webhook_endpoints
WHERE merchant_id = $1 AND livemode = $2 AND status <> 'deleted'
"""

# `livemode` ($3) NULL: either mode (the portal); the API passes its key's mode, so an
# endpoint of the other mode is as missing as an unknown id.
SELECT_ENDPOINT = f"""
SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints
WHERE id = $1 AND merchant_id = $2 AND status <> 'deleted'
  AND ($3::boolean IS NULL OR livemode = $3)
"""

# Newest first; the cursor row must belong to the merchant (else the page is empty).
LIST_ENDPOINTS = f"""
SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints w
WHERE w.merchant_id = $1 AND w.status <> 'deleted'
  AND ($2::text IS NULL OR (w.created_at, w.id) < (
        SELECT c.created_at, c.id FROM webhook_endpoints c
        WHERE c.id = $2 AND c.merchant_id = $1))
  AND ($4::boolean IS NULL OR w.livemode = $4)
ORDER BY w.created_at DESC, w.id DESC
LIMIT $3
"""

DELETE_ENDPOINT = """
UPDATE webhook_endpoints SET status = 'deleted', deleted_at = clock_timestamp()
WHERE id = $1 AND merchant_id = $2 AND status = $3
RETURNING id
"""

# Enable or disable; guarded by the status read, so a concurrent deletion is not revived.
UPDATE_ENDPOINT_STATUS = f"""
UPDATE webhook_endpoints SET status = $4
WHERE id = $1 AND merchant_id = $2 AND status = $3
RETURNING {ENDPOINT_COLUMNS}
"""

CANCEL_ENDPOINT_DELIVERIES = """
UPDATE webhook_deliveries
SET status = 'cancelled', finished_at = clock_timestamp(), claim_token = NULL
WHERE endpoint_id = $1 AND status = 'pending'
"""


async def insert_endpoint(
    conn: Conn, *, endpoint_id: str, merchant_id: str, url: str, description: str,
    enabled_events: list[str], secret: str, livemode: bool,
) -> Row:
    row: Row | None = await conn.fetchrow(
        INSERT_ENDPOINT, endpoint_id, merchant_id, url, description, enabled_events, secret,
        livemode,
    )
    assert row is not None
    return row


async def lock_merchant_endpoints(conn: Conn, merchant_id: str) -> None:
    await conn.execute(LOCK_MERCHANT_ENDPOINTS, merchant_id)


async def count_live_endpoints(conn: Conn, merchant_id: str, livemode: bool) -> int:
    """The merchant's endpoints of one mode that are not deleted."""
    count = await conn.fetchval(COUNT_LIVE_ENDPOINTS, merchant_id, livemode)
    return int(count)


async def select_endpoint(conn: Conn, endpoint_id: str, merchant_id: str, *,
                          livemode: bool | None = None) -> Row | None:
    return await conn.fetchrow(SELECT_ENDPOINT, endpoint_id, merchant_id, livemode)


async def list_endpoints(
    conn: Conn, merchant_id: str, starting_after: str | None, limit: int, *,
    livemode: bool | None = None,
) -> list[Row]:
    return await conn.fetch(LIST_ENDPOINTS, merchant_id, starting_after, limit, livemode)


async def delete_endpoint(conn: Conn, endpoint_id: str, merchant_id: str, expected: str) -> bool:
    return await conn.fetchval(DELETE_ENDPOINT, endpoint_id, merchant_id, expected) is not None


async def update_endpoint_status(conn: Conn, endpoint_id: str, merchant_id: str,
                                 expected: str, status: str) -> Row | None:
    return await conn.fetchrow(UPDATE_ENDPOINT_STATUS, endpoint_id, merchant_id, expected,
                               status)


async def cancel_endpoint_deliveries(conn: Conn, endpoint_id: str) -> None:
    await conn.execute(CANCEL_ENDPOINT_DELIVERIES, endpoint_id)


# -- an event's deliveries ----------------------------------------------------------------
SELECT_EVENT_DELIVERIES = """
SELECT d.id, d.endpoint_id, w.url, d.status, d.attempt_count, d.next_attempt_at,
       d.created_at, d.finished_at
FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
WHERE d.event_id = $1
ORDER BY d.created_at, d.id
"""

SELECT_EVENT_ATTEMPTS = """
SELECT a.delivery_id, a.attempt, a.started_at, a.duration_ms, a.status_code, a.succeeded,
       a.error, a.response_excerpt
FROM webhook_delivery_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
WHERE d.event_id = $1
ORDER BY a.delivery_id, a.attempt
"""


async def select_event_deliveries(conn: Conn, event_id: str) -> list[Row]:
    return await conn.fetch(SELECT_EVENT_DELIVERIES, event_id)


async def select_event_attempts(conn: Conn, event_id: str) -> list[Row]:
    return await conn.fetch(SELECT_EVENT_ATTEMPTS, event_id)


# -- redelivery --------------------------------------------------------------------------------
# To every current enabled endpoint subscribed to the type, or to one named (not deleted);
# only ever to endpoints of the event's mode, and with `livemode` ($4, the API key's) only an
# event of that mode.
INSERT_REDELIVERIES = """
INSERT INTO webhook_deliveries (id, event_id, endpoint_id, merchant_id)
SELECT 'whd_' || replace(gen_random_uuid()::text, '-', ''), e.id, w.id, e.merchant_id
FROM events e
JOIN webhook_endpoints w ON w.merchant_id = e.merchant_id AND w.livemode = e.livemode
WHERE e.id = $1 AND e.merchant_id = $2 AND ($4::boolean IS NULL OR e.livemode = $4)
  AND CASE WHEN $3::text IS NULL
           THEN w.status = 'enabled'
                AND (e.type = ANY (w.enabled_events) OR '*' = ANY (w.enabled_events))
           ELSE w.id = $3 AND w.status <> 'deleted' END
RETURNING id
"""

NOTIFY_DELIVERIES = "SELECT pg_notify('ccp_deliveries', $1)"


async def insert_redeliveries(
    conn: Conn, event_id: str, merchant_id: str, endpoint_id: str | None, *,
    livemode: bool | None = None,
) -> list[str]:
    rows = await conn.fetch(INSERT_REDELIVERIES, event_id, merchant_id, endpoint_id, livemode)
    return [r["id"] for r in rows]


async def notify_deliveries(conn: Conn, payload: str) -> None:
    await conn.execute(NOTIFY_DELIVERIES, payload)


# -- the delivery worker ---------------------------------------------------------------------
# Claiming pushes next_attempt_at past the attempt's timeout (the lease) and stamps a fresh
# claim token; SKIP LOCKED lets several workers claim disjoint batches at the same time.
CLAIM_DUE = """
WITH due AS (
    SELECT id FROM webhook_deliveries
    WHERE status = 'pending' AND next_attempt_at <= clock_timestamp()
    ORDER BY next_attempt_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED
)
UPDATE webhook_deliveries d
SET next_attempt_at = clock_timestamp() + make_interval(secs => $2),
    claim_token = $3,
    attempt_count = d.attempt_count + 1
FROM due, events e, webhook_endpoints w
WHERE d.id = due.id AND e.id = d.event_id AND w.id = d.endpoint_id
RETURNING d.id, d.event_id, d.endpoint_id, d.merchant_id, d.attempt_count, d.created_at,
          clock_timestamp() AS claimed_at, e.type, e.api_version, e.data::text AS data_json,
          e.created_at AS event_created_at, e.livemode, w.url, w.secret,
          w.status AS endpoint_status
"""

INSERT_ATTEMPT = """
INSERT INTO webhook_delivery_attempts
    (delivery_id, attempt, started_at, duration_ms, status_code, succeeded, error,
     response_excerpt)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (delivery_id, attempt) DO NOTHING
"""

# Guarded by the claim token: only the worker holding the current claim may finish it.
FINISH_DELIVERY = """
UPDATE webhook_deliveries
SET status = $3, finished_at = clock_timestamp(), claim_token = NULL
WHERE id = $1 AND claim_token = $2 AND status = 'pending'
RETURNING id
"""

RESCHEDULE_DELIVERY = """
UPDATE webhook_deliveries
SET next_attempt_at = clock_timestamp() + make_interval(secs => $3), claim_token = NULL
WHERE id = $1 AND claim_token = $2 AND status = 'pending'
RETURNING id
"""


async def claim_due(conn: Conn, *, limit: int, lease_seconds: float,  # float-ok
                    token: str) -> list[Row]:
    return await conn.fetch(CLAIM_DUE, limit, lease_seconds, token)


async def insert_attempt(
    conn: Conn, *, delivery_id: str, attempt: int, started_at: Any, duration_ms: int,
    status_code: int | None, succeeded: bool, error: str | None, response_excerpt: str,
) -> None:
    await conn.execute(INSERT_ATTEMPT, delivery_id, attempt, started_at, duration_ms,
                       status_code, succeeded, error, response_excerpt)


async def finish_delivery(conn: Conn, delivery_id: str, token: str, status: str) -> bool:
    return await conn.fetchval(FINISH_DELIVERY, delivery_id, token, status) is not None


async def reschedule_delivery(
    conn: Conn, delivery_id: str, token: str, delay_seconds: float  # float-ok
) -> bool:
    return await conn.fetchval(RESCHEDULE_DELIVERY, delivery_id, token, delay_seconds) is not None


async def select_plain_secrets(conn: Conn) -> list[Row]:
    return list(await conn.fetch(SELECT_PLAIN_SECRETS))


async def update_secret(conn: Conn, endpoint_id: str, stored: str) -> None:
    await conn.execute(UPDATE_SECRET, endpoint_id, stored)
