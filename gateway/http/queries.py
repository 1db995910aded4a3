"""The idempotency store: SQL of idempotency keys (table, `idempotency_claim()`: migration 0012).

Used only by the idempotency middleware (gateway.http.idempotency), the one place that
claims keys, replays and saves responses.
"""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from settlement.db import Conn

PURGE_BATCH = 5000

CLAIM = "SELECT * FROM idempotency_claim($1, $2, $3)"
# A conflicting row can only be an expired one (the claim saw no live row under the lock).
SAVE = """
INSERT INTO idempotency_keys
    (merchant_id, key, request_hash, response_status, response_body, content_type)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (merchant_id, key) DO UPDATE SET
    request_hash = EXCLUDED.request_hash, response_status = EXCLUDED.response_status,
    response_body = EXCLUDED.response_body, content_type = EXCLUDED.content_type,
    created_at = now()
"""
PURGE = """
DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM idempotency_keys WHERE created_at < now() - $1::interval LIMIT $2))
"""


async def claim(conn: Conn, merchant_id: str, key: str, ttl: timedelta) -> asyncpg.Record:
    row: asyncpg.Record | None = await conn.fetchrow(CLAIM, merchant_id, key, ttl)
    assert row is not None  # a set-returning function that always returns one row
    return row


async def save(conn: Conn, merchant_id: str, key: str, request_hash: bytes, status: int,
               body: bytes, content_type: str) -> None:
    await conn.execute(SAVE, merchant_id, key, request_hash, status, body, content_type)


async def purge(conn: Conn, ttl: timedelta, batch: int = PURGE_BATCH) -> int:
    status: str = await conn.execute(PURGE, ttl, batch)
    return int(status.rpartition(" ")[2])
