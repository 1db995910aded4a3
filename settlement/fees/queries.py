"""All SQL of fee schedules and treasury conversions: named constants, one function each."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from settlement.db import Conn

INSERT_FEE_SCHEDULE = """
INSERT INTO fee_schedules (merchant_id, effective_from, bps, fixed, minimum)
VALUES ($1, coalesce($2, now()), $3, $4, $5)
RETURNING id, merchant_id, effective_from, bps, fixed, minimum, created_at
"""

# The row in effect at $2: the latest one that started at or before it.
SELECT_FEE_SCHEDULE_AT = """
SELECT id, merchant_id, effective_from, bps, fixed, minimum, created_at
  FROM fee_schedules
 WHERE merchant_id = $1 AND effective_from <= coalesce($2, now())
 ORDER BY effective_from DESC
 LIMIT 1
"""

SELECT_FEE_SCHEDULES = """
SELECT id, merchant_id, effective_from, bps, fixed, minimum, created_at
  FROM fee_schedules
 WHERE merchant_id = $1
 ORDER BY effective_from
"""

# Conversions of one asset are serialised so that each sees the position the previous left.
LOCK_CONVERSIONS = "SELECT pg_advisory_xact_lock(hashtext('fx_conversion'), hashtext($1))"

# The units held in an FX position and the KZT booked against them: every entry moving the
# crypto position contributes its units and the fx_position:KZT movement of the same entry
# (invoice settlements add both, reversals and conversions take them out again). An entry
# that moved several assets' positions (a split-asset invoice) names each asset's part of
# its KZT movement in metadata `kzt_cost` ({currency code: tiyn}, $3 is this asset's code):
# only that part is this position's cost, or converting every asset would release it twice
# (a reversal carries the same parts; the sign of its KZT movement takes them out).
SELECT_POSITION_COST = """
WITH moved AS (
    SELECT p.entry_id,
           sum(CASE p.direction WHEN 'credit' THEN p.amount ELSE -p.amount END) AS units
      FROM postings p JOIN ledger_accounts a ON a.id = p.account_id
     WHERE a.code = $1
     GROUP BY p.entry_id
)
SELECT coalesce(sum(m.units), 0) AS units,
       coalesce(sum(coalesce(sign(k.kzt) * (e.metadata -> 'kzt_cost' ->> $3)::numeric,
                             k.kzt)), 0)
           AS kzt_cost
  FROM moved m
  JOIN journal_entries e ON e.id = m.entry_id
  LEFT JOIN LATERAL (
        SELECT sum(CASE p.direction WHEN 'debit' THEN p.amount ELSE -p.amount END) AS kzt
          FROM postings p JOIN ledger_accounts a ON a.id = p.account_id
         WHERE p.entry_id = m.entry_id AND a.code = $2
  ) k ON true
"""

SELECT_ENTRY_BY_KEY = """
SELECT id, kind, metadata::text AS metadata, created_at
  FROM journal_entries WHERE idempotency_key = $1
"""


async def insert_fee_schedule(
    conn: Conn, merchant_id: str, effective_from: datetime | None, bps: int, fixed: int,
    minimum: int,
) -> asyncpg.Record:
    row: asyncpg.Record | None = await conn.fetchrow(
        INSERT_FEE_SCHEDULE, merchant_id, effective_from, bps, fixed, minimum
    )
    # INSERT ... RETURNING and aggregates without GROUP BY always yield one row.
    assert row is not None
    return row


async def fee_schedule_at(
    conn: Conn, merchant_id: str, at: datetime | None
) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_FEE_SCHEDULE_AT, merchant_id, at)


async def fee_schedules(conn: Conn, merchant_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_FEE_SCHEDULES, merchant_id)


async def lock_conversions(conn: Conn, asset: str) -> None:
    await conn.execute(LOCK_CONVERSIONS, asset)


async def position_cost(conn: Conn, position_code: str, kzt_code: str,
                        asset_code: str) -> asyncpg.Record:
    row: asyncpg.Record | None = await conn.fetchrow(SELECT_POSITION_COST, position_code,
                                                     kzt_code, asset_code)
    # INSERT ... RETURNING and aggregates without GROUP BY always yield one row.
    assert row is not None
    return row


async def entry_by_key(conn: Conn, idempotency_key: str) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_ENTRY_BY_KEY, idempotency_key)
