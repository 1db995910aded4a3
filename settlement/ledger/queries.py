"""All SQL of the ledger: named constants and one async function per query.

Amounts travel as numeric and come back as exact Decimals; the service turns them into ints.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import asyncpg

from settlement.db import Conn

# Accounts missing from the process cache are created (or found) in one statement. Rows
# inserted here are invisible to the SELECT branch (same snapshot), so nothing is duplicated.
UPSERT_ACCOUNTS = """
WITH wanted AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
        AS w(code, currency, kind, owner)
), inserted AS (
    INSERT INTO ledger_accounts (code, currency, kind, owner)
    SELECT code, currency, kind::ledger_account_kind, owner FROM wanted ORDER BY code
    ON CONFLICT (code) DO NOTHING
    RETURNING id, code, currency, kind::text
)
SELECT id, code, currency, kind FROM inserted
UNION ALL
SELECT a.id, a.code, a.currency, a.kind::text
  FROM ledger_accounts a JOIN wanted w ON w.code = a.code
"""

# The entry and all its postings in one round trip. When the idempotency key exists already
# nothing is written and no row comes back. Postings name their account by code (joined to
# the id here), so a stale process cache can never put a posting on a wrong account: an
# unknown code yields a NULL account id, which the posting trigger rejects (LG005).
INSERT_ENTRY = """
WITH entry AS (
    INSERT INTO journal_entries
        (idempotency_key, kind, reference, content_hash, metadata, effective_date,
         reverses_entry_id)
    VALUES ($1, $2, $3, $4, $5::text::jsonb,
            coalesce($6::date, (now() AT TIME ZONE 'Asia/Almaty')::date), $7)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, created_at, effective_date
), lines AS (
    INSERT INTO postings (entry_id, account_id, currency, amount, direction)
    SELECT entry.id, a.id, l.currency, l.amount, l.direction::ledger_direction
      FROM entry
     CROSS JOIN unnest($8::text[], $9::text[], $10::numeric[], $11::text[])
           AS l(code, currency, amount, direction)
      LEFT JOIN ledger_accounts a ON a.code = l.code
    RETURNING 1
)
SELECT entry.id, entry.created_at, entry.effective_date, (SELECT count(*) FROM lines) AS lines
  FROM entry
"""

SELECT_ENTRY_BY_KEY = """
SELECT id, idempotency_key, kind, reference, content_hash, metadata::text AS metadata,
       created_at, effective_date, reverses_entry_id
  FROM journal_entries WHERE idempotency_key = $1
"""

SELECT_ENTRY_BY_ID = """
SELECT id, idempotency_key, kind, reference, content_hash, metadata::text AS metadata,
       created_at, effective_date, reverses_entry_id
  FROM journal_entries WHERE id = $1
"""

SELECT_ENTRY_POSTINGS = """
SELECT a.code, a.currency, a.kind::text AS kind, a.owner, p.direction::text AS direction,
       p.amount
  FROM postings p JOIN ledger_accounts a ON a.id = p.account_id
 WHERE p.entry_id = $1
 ORDER BY p.id
"""

# Per account: the latest usable snapshot plus the postings at or above its horizon. With
# as_of, only snapshots taken by then, and postings created by then, count (a snapshot taken
# at T only holds postings of transactions that started before T).
_BALANCE_PARTS = """
  LEFT JOIN LATERAL (
        SELECT s.horizon, s.debits, s.credits
          FROM account_balance_snapshots s
         WHERE s.account_id = a.id AND ($1::timestamptz IS NULL OR s.taken_at <= $1)
         ORDER BY s.horizon DESC
         LIMIT 1
  ) snap ON true
 CROSS JOIN LATERAL (
        SELECT coalesce(sum(p.amount) FILTER (WHERE p.direction = 'debit'), 0) AS debits,
               coalesce(sum(p.amount) FILTER (WHERE p.direction = 'credit'), 0) AS credits
          FROM postings p
         WHERE p.account_id = a.id
           AND p.txid >= coalesce(snap.horizon, '0'::xid8)
           AND ($1::timestamptz IS NULL OR p.created_at <= $1)
  ) recent
"""

SELECT_ACCOUNT_BALANCE = f"""
SELECT a.code, a.currency, a.kind::text AS kind,
       coalesce(snap.debits, 0) + recent.debits AS debits,
       coalesce(snap.credits, 0) + recent.credits AS credits
  FROM ledger_accounts a
{_BALANCE_PARTS}
 WHERE a.code = $2
"""

SELECT_ALL_BALANCES = f"""
SELECT a.code, a.currency, a.kind::text AS kind,
       coalesce(snap.debits, 0) + recent.debits AS debits,
       coalesce(snap.credits, 0) + recent.credits AS credits
  FROM ledger_accounts a
{_BALANCE_PARTS}
 ORDER BY a.code
"""

# New snapshot rows for every account with postings since its last snapshot. The horizon is
# this statement's snapshot xmin: every transaction below it has finished, so the postings
# under it are final. clock_timestamp() is read after the snapshot, hence after all of them.
INSERT_SNAPSHOTS = """
WITH cut AS (
    SELECT pg_snapshot_xmin(pg_current_snapshot()) AS horizon, clock_timestamp() AS taken_at
)
INSERT INTO account_balance_snapshots
    (account_id, horizon, debits, credits, postings_count, taken_at)
SELECT a.id, cut.horizon,
       coalesce(last.debits, 0) + delta.debits,
       coalesce(last.credits, 0) + delta.credits,
       coalesce(last.postings_count, 0) + delta.n,
       cut.taken_at
  FROM ledger_accounts a
 CROSS JOIN cut
  LEFT JOIN LATERAL (
        SELECT s.horizon, s.debits, s.credits, s.postings_count
          FROM account_balance_snapshots s
         WHERE s.account_id = a.id
         ORDER BY s.horizon DESC
         LIMIT 1
  ) last ON true
 CROSS JOIN LATERAL (
        SELECT coalesce(sum(p.amount) FILTER (WHERE p.direction = 'debit'), 0) AS debits,
               coalesce(sum(p.amount) FILTER (WHERE p.direction = 'credit'), 0) AS credits,
               count(*) AS n
          FROM postings p
         WHERE p.account_id = a.id
           AND p.txid >= coalesce(last.horizon, '0'::xid8)
           AND p.txid < cut.horizon
  ) delta
 WHERE delta.n > 0
ON CONFLICT (account_id, horizon) DO NOTHING
"""

# Old snapshots are thinned to the last one per account and Almaty day: as-of reads of past
# days stay fast, and the table grows with days x active accounts, not with the snapshot rate.
DELETE_OLD_SNAPSHOTS = """
DELETE FROM account_balance_snapshots s
 WHERE s.taken_at < $1
   AND EXISTS (
        SELECT 1 FROM account_balance_snapshots n
         WHERE n.account_id = s.account_id
           AND n.horizon > s.horizon
           AND n.taken_at < $1
           AND (n.taken_at AT TIME ZONE 'Asia/Almaty')::date
             = (s.taken_at AT TIME ZONE 'Asia/Almaty')::date
   )
"""

# Straight sums of postings, without snapshots: what the snapshots must always agree with.
SELECT_POSTING_SUMS = """
SELECT a.code,
       coalesce(sum(p.amount) FILTER (WHERE p.direction = 'debit'), 0) AS debits,
       coalesce(sum(p.amount) FILTER (WHERE p.direction = 'credit'), 0) AS credits
  FROM ledger_accounts a LEFT JOIN postings p ON p.account_id = a.id
 WHERE a.code = ANY($1::text[])
 GROUP BY a.code
"""


async def upsert_accounts(
    conn: Conn,
    codes: Sequence[str],
    currencies: Sequence[str],
    kinds: Sequence[str],
    owners: Sequence[str | None],
) -> list[asyncpg.Record]:
    return await conn.fetch(UPSERT_ACCOUNTS, codes, currencies, kinds, owners)


async def insert_entry(
    conn: Conn,
    *,
    idempotency_key: str,
    kind: str,
    reference: str | None,
    content_hash: str,
    metadata_json: str,
    effective_date: date | None,
    reverses_entry_id: int | None,
    lines: tuple[list[str], list[str], list[int], list[str]],
) -> asyncpg.Record | None:
    codes, currencies, amounts, directions = lines
    return await conn.fetchrow(
        INSERT_ENTRY, idempotency_key, kind, reference, content_hash, metadata_json,
        effective_date, reverses_entry_id, codes, currencies, amounts, directions,
    )


async def entry_by_key(conn: Conn, idempotency_key: str) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_ENTRY_BY_KEY, idempotency_key)


async def entry_by_id(conn: Conn, entry_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_ENTRY_BY_ID, entry_id)


async def entry_postings(conn: Conn, entry_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_ENTRY_POSTINGS, entry_id)


async def account_balance(
    conn: Conn, code: str, as_of: datetime | None
) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_ACCOUNT_BALANCE, as_of, code)


async def all_balances(conn: Conn, as_of: datetime | None) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_ALL_BALANCES, as_of)


async def insert_snapshots(conn: Conn) -> int:
    status = await conn.execute(INSERT_SNAPSHOTS)
    # "INSERT 0 <rows>"
    return int(status.rsplit(" ", 1)[1])


async def delete_old_snapshots(conn: Conn, before: datetime) -> int:
    status = await conn.execute(DELETE_OLD_SNAPSHOTS, before)
    # "DELETE <rows>"
    return int(status.rsplit(" ", 1)[1])


async def posting_sums(conn: Conn, codes: Sequence[str]) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_POSTING_SUMS, codes)
