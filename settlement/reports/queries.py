"""All SQL of the reports, straight from the ledger's postings so totals tie to the books."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import asyncpg

from settlement.db import Conn

_SIGNED_CREDIT = "CASE p.direction WHEN 'credit' THEN p.amount ELSE -p.amount END"
_SIGNED_DEBIT = "CASE p.direction WHEN 'debit' THEN p.amount ELSE -p.amount END"

# The payable's balance before the period and at its end (credits positive: owed to merchant).
SELECT_PAYABLE_EDGES = f"""
SELECT coalesce(sum({_SIGNED_CREDIT}) FILTER (WHERE p.created_at < $2), 0) AS opening,
       coalesce(sum({_SIGNED_CREDIT}) FILTER (WHERE p.created_at < $3), 0) AS closing
  FROM postings p
 WHERE p.account_id = (SELECT id FROM ledger_accounts WHERE code = $1)
"""

# The period's entries on the payable, grouped by what they are, with the fee each earned.
SELECT_PAYABLE_LINES = f"""
WITH pay AS (
    SELECT p.entry_id, sum({_SIGNED_CREDIT}) AS amount
      FROM postings p
     WHERE p.account_id = (SELECT id FROM ledger_accounts WHERE code = $1)
       AND p.created_at >= $2 AND p.created_at < $3
     GROUP BY p.entry_id
)
SELECT e.kind, e.metadata->>'reverses_kind' AS reverses_kind, count(*) AS n,
       sum(pay.amount) AS amount, coalesce(sum(f.fee), 0) AS fee
  FROM pay
  JOIN journal_entries e ON e.id = pay.entry_id
  LEFT JOIN LATERAL (
        SELECT sum({_SIGNED_CREDIT}) AS fee
          FROM postings p JOIN ledger_accounts a ON a.id = p.account_id
         WHERE p.entry_id = pay.entry_id AND a.code = 'fee_revenue'
  ) f ON true
 GROUP BY e.kind, e.metadata->>'reverses_kind'
"""

# Sales (and reversed sales, negatively) and conversions by business day and asset. The
# business day of t is ((t AT TIME ZONE zone) - cutoff)::date + 1 (settlement.batches.calendar);
# effective_date only prunes through its index. Each asset leg of an entry is its own row, so
# base units of different assets are never added together: a split-asset settlement's KZT is
# its metadata's per-leg `kzt_cost` part (signed like the entry's KZT movement), and its fee
# and invoice count are reported once, under its first leg (lowest currency code).
SELECT_ZONE_SUMMARY = f"""
WITH e AS (
    SELECT e.id, e.kind, e.metadata,
           ((e.created_at AT TIME ZONE $3::text) - $4::interval)::date + 1 AS day
      FROM journal_entries e
     WHERE e.effective_date BETWEEN $5::date AND $6::date
       AND e.created_at >= $1 AND e.created_at < $2
       AND (e.kind IN ('invoice_settlement', 'fx_conversion')
            OR (e.kind = 'reversal' AND e.metadata->>'reverses_kind' = 'invoice_settlement'))
), per_entry AS (
    SELECT e.id, e.kind, e.day, e.metadata,
           sum({_SIGNED_DEBIT}) FILTER (WHERE a.code = 'fx_position:KZT') AS kzt,
           sum({_SIGNED_CREDIT}) FILTER (WHERE a.code = 'fee_revenue') AS fee,
           sum({_SIGNED_CREDIT}) FILTER (WHERE a.code = 'fx_result') AS fx
      FROM e
      JOIN postings p ON p.entry_id = e.id
      JOIN ledger_accounts a ON a.id = p.account_id
     GROUP BY e.id, e.kind, e.day, e.metadata
), per_leg AS (
    SELECT e.id, a.currency AS asset, sum({_SIGNED_DEBIT}) AS units,
           row_number() OVER (PARTITION BY e.id ORDER BY a.currency) AS leg
      FROM e
      JOIN postings p ON p.entry_id = e.id
      JOIN ledger_accounts a ON a.id = p.account_id
     WHERE a.code LIKE 'custody:%'
     GROUP BY e.id, a.currency
), legs AS (
    SELECT x.day, l.asset, x.kind, l.units, l.leg,
           coalesce(sign(x.kzt) * (x.metadata -> 'kzt_cost' ->> l.asset)::numeric,
                    x.kzt) AS kzt,
           CASE WHEN l.leg = 1 THEN x.fee END AS fee,
           CASE WHEN l.leg = 1 THEN x.fx END AS fx
      FROM per_entry x JOIN per_leg l ON l.id = x.id
)
SELECT day, asset,
       sum(CASE WHEN leg > 1 THEN 0
                WHEN kind = 'invoice_settlement' THEN 1 WHEN kind = 'reversal' THEN -1
                ELSE 0 END) AS invoice_count,
       coalesce(sum(units) FILTER (WHERE kind <> 'fx_conversion'), 0) AS crypto_volume,
       coalesce(sum(kzt) FILTER (WHERE kind <> 'fx_conversion'), 0) AS kzt_volume,
       coalesce(sum(fee), 0) AS fees,
       coalesce(sum(fx), 0) AS fx_result
  FROM legs
 GROUP BY day, asset
 ORDER BY day, asset
"""

# Refunds per business day and asset, counted when their transaction is final (the
# `refund:<id>:final` entry of settlement/refund_booking.py, stage "final": a reverted one books
# only its fee and is no refund): how many, the units that left custody (stranded + sale
# part) and the tiyn the sale parts took from merchants' payables (booked at signing).
SELECT_ZONE_REFUNDS = """
SELECT ((e.created_at AT TIME ZONE $3::text) - $4::interval)::date + 1 AS day,
       e.metadata->>'currency' AS asset, count(*) AS refund_count,
       sum((e.metadata->>'stranded_units')::numeric + (e.metadata->>'sale_units')::numeric)
           AS units,
       sum((e.metadata->>'sale_amount')::bigint) AS sale_kzt
  FROM journal_entries e
 WHERE e.effective_date BETWEEN $5::date AND $6::date
   AND e.created_at >= $1 AND e.created_at < $2
   AND e.kind = 'refund' AND e.metadata->>'stage' = 'final'
 GROUP BY 1, 2
 ORDER BY 1, 2
"""


async def payable_edges(
    conn: Conn, code: str, start: datetime, end: datetime
) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_PAYABLE_EDGES, code, start, end)


async def payable_lines(
    conn: Conn, code: str, start: datetime, end: datetime
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_PAYABLE_LINES, code, start, end)


async def zone_summary(
    conn: Conn, *, start: datetime, end: datetime, zone: str, cutoff: timedelta,
    prune_from: date, prune_to: date,
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_ZONE_SUMMARY, start, end, zone, cutoff, prune_from,
                            prune_to)


async def zone_refunds(
    conn: Conn, *, start: datetime, end: datetime, zone: str, cutoff: timedelta,
    prune_from: date, prune_to: date,
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_ZONE_REFUNDS, start, end, zone, cutoff, prune_from,
                            prune_to)
