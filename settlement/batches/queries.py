"""All SQL of settlement batches: named constants and one async function per query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import asyncpg

from settlement.db import Conn

BATCH_COLUMNS = """
id, merchant_id, business_day, period_start, period_end, status::text AS status,
invoice_count, gross, fees, refunds, adjustments, carried_in, net, payout_amount, carried_out,
payout_entry_id, paid_entry_id, reversal_entry_id, payout_file_id, bank_reference,
failure_reason, created_at, closed_at, exported_at, paid_at, failed_at
"""

# Closing one business day is serialised across processes by this transaction-level lock.
LOCK_DAY = "SELECT pg_advisory_xact_lock(hashtext('settlement_close'), hashtext($1::text))"

# Postings on merchant payables not yet in any batch, up to the day's cut-off. The
# effective_date bound only prunes (it is the entry's Almaty date, at most a day off from
# created_at); created_at decides.
_UNBATCHED = """
unbatched AS (
    SELECT p.entry_id, a.owner AS merchant_id,
           sum(CASE p.direction WHEN 'credit' THEN p.amount ELSE -p.amount END) AS amount
      FROM journal_entries e
      JOIN postings p ON p.entry_id = e.id
      JOIN ledger_accounts a ON a.id = p.account_id
     WHERE e.effective_date >= $1::date AND e.created_at < $2::timestamptz
       AND a.code LIKE 'merchant\\_payable:%'
       AND ($3::text[] IS NULL OR a.owner = ANY($3::text[]))
       AND NOT EXISTS (SELECT 1 FROM settlement_batch_items i
                        WHERE i.entry_id = e.id AND i.merchant_id = a.owner)
     GROUP BY p.entry_id, a.owner
)
"""

INSERT_OPEN_BATCHES = f"""
WITH {_UNBATCHED}
INSERT INTO settlement_batches (id, merchant_id, business_day, period_start, period_end)
SELECT 'stb_' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 24),
       m.merchant_id, $4::date, $5::timestamptz, $2::timestamptz
  FROM (SELECT DISTINCT merchant_id FROM unbatched) m
ON CONFLICT (merchant_id, business_day) DO NOTHING
"""

ATTACH_ITEMS = f"""
WITH {_UNBATCHED}
INSERT INTO settlement_batch_items
    (entry_id, merchant_id, batch_id, kind, reverses_kind, invoice_id, amount, fee,
     entry_created_at)
SELECT u.entry_id, u.merchant_id, b.id, e.kind, e.metadata->>'reverses_kind',
       e.metadata->>'invoice_id', u.amount, coalesce(f.fee, 0), e.created_at
  FROM unbatched u
  JOIN settlement_batches b
    ON b.merchant_id = u.merchant_id AND b.business_day = $4::date AND b.status = 'open'
  JOIN journal_entries e ON e.id = u.entry_id
  LEFT JOIN LATERAL (
        SELECT sum(CASE p.direction WHEN 'credit' THEN p.amount ELSE -p.amount END) AS fee
          FROM postings p JOIN ledger_accounts fa ON fa.id = p.account_id
         WHERE p.entry_id = u.entry_id AND fa.code = 'fee_revenue'
  ) f ON true
ON CONFLICT (entry_id, merchant_id) DO NOTHING
"""

# Open batches up to the day, oldest day first: a batch left open by an interrupted close is
# finished before a later day takes the carried amount from it.
SELECT_OPEN_BATCH_IDS = """
SELECT id FROM settlement_batches
 WHERE status = 'open' AND business_day <= $1
   AND ($2::text[] IS NULL OR merchant_id = ANY($2::text[]))
 ORDER BY business_day, merchant_id
"""

SELECT_BATCH_FOR_UPDATE = f"SELECT {BATCH_COLUMNS} FROM settlement_batches WHERE id = $1 FOR UPDATE"
SELECT_BATCH = f"SELECT {BATCH_COLUMNS} FROM settlement_batches WHERE id = $1"

SELECT_ITEM_TOTALS = """
SELECT kind, reverses_kind, count(*) AS n, sum(amount) AS amount, sum(fee) AS fee
  FROM settlement_batch_items WHERE batch_id = $1
 GROUP BY kind, reverses_kind
"""

SELECT_ITEMS = """
SELECT entry_id, merchant_id, batch_id, kind, reverses_kind, invoice_id, amount, fee,
       entry_created_at
  FROM settlement_batch_items WHERE batch_id = $1
 ORDER BY entry_created_at, entry_id
"""

SELECT_PREVIOUS_CARRIED = """
SELECT carried_out FROM settlement_batches
 WHERE merchant_id = $1 AND business_day < $2 AND status <> 'open'
 ORDER BY business_day DESC
 LIMIT 1
"""

INSERT_ITEM = """
INSERT INTO settlement_batch_items
    (entry_id, merchant_id, batch_id, kind, reverses_kind, invoice_id, amount, fee,
     entry_created_at)
VALUES ($1, $2, $3, $4, NULL, NULL, $5, 0, $6)
ON CONFLICT (entry_id, merchant_id) DO NOTHING
"""

UPDATE_CLOSED = f"""
UPDATE settlement_batches
   SET status = $2::settlement_batch_status, invoice_count = $3, gross = $4, fees = $5,
       refunds = $6, adjustments = $7, carried_in = $8, net = $9, payout_amount = $10,
       carried_out = $11, payout_entry_id = $12, closed_at = now()
 WHERE id = $1 AND status = 'open'
RETURNING {BATCH_COLUMNS}
"""

UPDATE_EXPORTED = """
UPDATE settlement_batches
   SET status = 'exported', payout_file_id = $2, exported_at = now()
 WHERE id = ANY($1::text[]) AND status = 'closed'
RETURNING id
"""

UPDATE_PAID = f"""
UPDATE settlement_batches
   SET status = 'paid', paid_entry_id = $2, bank_reference = $3, paid_at = now()
 WHERE id = $1 AND status = 'exported'
RETURNING {BATCH_COLUMNS}
"""

UPDATE_FAILED = f"""
UPDATE settlement_batches
   SET status = 'failed', reversal_entry_id = $2, bank_reference = $3, failure_reason = $4,
       failed_at = now()
 WHERE id = $1 AND status = 'exported'
RETURNING {BATCH_COLUMNS}
"""

SELECT_BATCHES = f"""
SELECT {BATCH_COLUMNS} FROM settlement_batches
 WHERE ($1::text IS NULL OR status = $1::settlement_batch_status)
   AND ($2::date IS NULL OR business_day >= $2) AND ($3::date IS NULL OR business_day <= $3)
   AND ($4::text IS NULL OR merchant_id = $4)
 ORDER BY business_day DESC, merchant_id
 LIMIT $5
"""

SELECT_BATCHES_BY_ID_FOR_UPDATE = f"""
SELECT {BATCH_COLUMNS} FROM settlement_batches
 WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE
"""

SELECT_CLOSED_UP_TO_FOR_UPDATE = f"""
SELECT {BATCH_COLUMNS} FROM settlement_batches
 WHERE status = 'closed' AND business_day <= $1
   AND ($2::text[] IS NULL OR merchant_id = ANY($2::text[]))
 ORDER BY id FOR UPDATE
"""

async def lock_day(conn: Conn, day: date) -> None:
    await conn.execute(LOCK_DAY, day.isoformat())


async def insert_open_batches(
    conn: Conn, *, lookback_from: date, start: datetime, end: datetime, day: date,
    merchant_ids: Sequence[str] | None,
) -> None:
    await conn.execute(INSERT_OPEN_BATCHES, lookback_from, end, merchant_ids, day, start)


async def attach_items(
    conn: Conn, *, lookback_from: date, end: datetime, day: date,
    merchant_ids: Sequence[str] | None,
) -> int:
    status = await conn.execute(ATTACH_ITEMS, lookback_from, end, merchant_ids, day)
    return int(status.rsplit(" ", 1)[1])


async def open_batch_ids(
    conn: Conn, day: date, merchant_ids: Sequence[str] | None
) -> list[str]:
    return [r["id"] for r in await conn.fetch(SELECT_OPEN_BATCH_IDS, day, merchant_ids)]


async def batch_for_update(conn: Conn, batch_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_BATCH_FOR_UPDATE, batch_id)


async def batch(conn: Conn, batch_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_BATCH, batch_id)


async def item_totals(conn: Conn, batch_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_ITEM_TOTALS, batch_id)


async def items(conn: Conn, batch_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_ITEMS, batch_id)


async def previous_carried(conn: Conn, merchant_id: str, day: date) -> int:
    value = await conn.fetchval(SELECT_PREVIOUS_CARRIED, merchant_id, day)
    return int(value or 0)


async def insert_payout_item(
    conn: Conn, *, entry_id: int, merchant_id: str, batch_id: str, kind: str, amount: int,
    created_at: datetime,
) -> None:
    await conn.execute(INSERT_ITEM, entry_id, merchant_id, batch_id, kind, amount, created_at)


async def update_closed(
    conn: Conn, batch_id: str, status: str, totals: Sequence[int], payout_entry_id: int | None
) -> asyncpg.Record | None:
    return await conn.fetchrow(UPDATE_CLOSED, batch_id, status, *totals, payout_entry_id)


async def update_exported(conn: Conn, batch_ids: Sequence[str], file_id: str) -> list[str]:
    return [r["id"] for r in await conn.fetch(UPDATE_EXPORTED, list(batch_ids), file_id)]


async def update_paid(
    conn: Conn, batch_id: str, entry_id: int, bank_reference: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(UPDATE_PAID, batch_id, entry_id, bank_reference)


async def update_failed(
    conn: Conn, batch_id: str, entry_id: int, bank_reference: str, reason: str | None
) -> asyncpg.Record | None:
    return await conn.fetchrow(UPDATE_FAILED, batch_id, entry_id, bank_reference, reason)


async def list_batches(
    conn: Conn, *, status: str | None, day_from: date | None, day_to: date | None,
    merchant_id: str | None, limit: int,
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_BATCHES, status, day_from, day_to, merchant_id, limit)


async def batches_by_id_for_update(conn: Conn, batch_ids: Sequence[str]) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_BATCHES_BY_ID_FOR_UPDATE, list(batch_ids))


async def closed_up_to_for_update(
    conn: Conn, day: date, merchant_ids: Sequence[str] | None
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_CLOSED_UP_TO_FOR_UPDATE, day, merchant_ids)
