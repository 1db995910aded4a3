"""All SQL of payout files: named constants and one async function per query."""

from __future__ import annotations

from datetime import date

import asyncpg

from settlement.db import Conn

INSERT_PAYOUT_FILE = """
INSERT INTO payout_files
    (id, message_id, execution_date, transfer_count, control_sum, sha256, document)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id, message_id, execution_date, transfer_count, control_sum, sha256, created_at
"""

SELECT_PAYOUT_FILE = """
SELECT id, message_id, execution_date, transfer_count, control_sum, sha256, created_at, document
  FROM payout_files WHERE id = $1
"""

SELECT_PAYOUT_FILES = """
SELECT id, message_id, execution_date, transfer_count, control_sum, sha256, created_at
  FROM payout_files ORDER BY created_at DESC LIMIT $1
"""


async def insert_payout_file(
    conn: Conn, *, file_id: str, message_id: str, execution_date: date, transfer_count: int,
    control_sum: int, sha256: str, document: bytes,
) -> asyncpg.Record:
    row: asyncpg.Record | None = await conn.fetchrow(
        INSERT_PAYOUT_FILE, file_id, message_id, execution_date, transfer_count, control_sum,
        sha256, document,
    )
    # INSERT ... RETURNING and aggregates without GROUP BY always yield one row.
    assert row is not None
    return row


async def payout_file(conn: Conn, file_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_PAYOUT_FILE, file_id)


async def payout_files(conn: Conn, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_PAYOUT_FILES, limit)
