"""The idempotency store: SQL of idempotency keys (table, `idempotency_claim()`: migration 0012).

Used only by the idempotency middleware (gateway.http.idempotency), the one place that
claims keys, replays and saves responses.
"""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from settlement.db import Conn

PURGE_BATCH = 5000

# Keys are per merchant and per mode ($2 livemode: the API key's; migration 0130).
CLAIM = "SELECT * FROM idempotency_claim($1, $2, $3, $4)"
# The claim and, when it finds the key free and unsaved, the save of this request's response,
# as ONE statement run after the handler in the request's transaction: `idempotency_claim`
# takes the lock and reads with a fresh snapshot (PL/pgSQL), so a twin that committed first is
# seen and nothing is written over it; the row returned is the claim's. A conflicting row can
# only be an expired one (the claim saw no live row under the lock).
CLAIM_AND_SAVE = """
WITH claim AS (
    SELECT * FROM idempotency_claim($1::text, $2::boolean, $3::text, $4::interval)
), saved AS (
    INSERT INTO idempotency_keys (merchant_id, livemode, key, request_hash, response_status,
                                  response_body, content_type)
    SELECT $1::text, $2::boolean, $3::text, $5::bytea, $6::integer, $7::bytea, $8::text
    FROM claim WHERE claim.locked AND claim.request_hash IS NULL
    ON CONFLICT (merchant_id, livemode, key) DO UPDATE SET
        request_hash = EXCLUDED.request_hash, response_status = EXCLUDED.response_status,
        response_body = EXCLUDED.response_body, content_type = EXCLUDED.content_type,
        created_at = now()
)
SELECT * FROM claim
"""
PURGE = """
DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM idempotency_keys WHERE created_at < now() - $1::interval LIMIT $2))
"""


async def claim(conn: Conn, merchant_id: str, livemode: bool, key: str,
                ttl: timedelta) -> asyncpg.Record:
    row: asyncpg.Record | None = await conn.fetchrow(CLAIM, merchant_id, livemode, key, ttl)
    assert row is not None  # a set-returning function that always returns one row
    return row


async def claim_and_save(conn: Conn, merchant_id: str, livemode: bool, key: str,
                         ttl: timedelta, request_hash: bytes, status: int, body: bytes,
                         content_type: str) -> asyncpg.Record:
    """Claim the key and save the response if the claim finds it free; the claim's row."""
    row: asyncpg.Record | None = await conn.fetchrow(
        CLAIM_AND_SAVE, merchant_id, livemode, key, ttl, request_hash, status, body,
        content_type)
    assert row is not None  # `claim` always has one row
    return row


async def purge(conn: Conn, ttl: timedelta, batch: int = PURGE_BATCH) -> int:
    status: str = await conn.execute(PURGE, ttl, batch)
    return int(status.rpartition(" ")[2])
