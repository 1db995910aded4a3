"""All SQL of reconciliation: named constants and one async function per query."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from settlement.db import Conn

SELECT_CUSTODY_CODES = "SELECT code FROM ledger_accounts WHERE code LIKE 'custody:%' ORDER BY code"

# Units that treasury conversions (settlement.fees.fx, kind fx_conversion) took out of each
# custody account: the part of the booked crypto that legitimately left the books.
SELECT_CUSTODY_CONVERSIONS = """
SELECT a.code, sum(p.amount) AS units
  FROM postings p
  JOIN ledger_accounts a ON a.id = p.account_id
  JOIN journal_entries e ON e.id = p.entry_id
 WHERE a.code LIKE 'custody:%' AND p.direction = 'credit' AND e.kind = 'fx_conversion'
 GROUP BY a.code
"""

# What refunds (settlement.refund_booking: every entry keyed refund:<id>:..., their reversals
# included) moved in each custody account, debits less credits: stranded units booked in at
# signing and out at finality, the sale part and network fees out.
SELECT_CUSTODY_REFUNDS = """
SELECT a.code,
       sum(CASE WHEN p.direction = 'debit' THEN p.amount ELSE -p.amount END) AS units
  FROM postings p
  JOIN ledger_accounts a ON a.id = p.account_id
  JOIN journal_entries e ON e.id = p.entry_id
 WHERE a.code LIKE 'custody:%' AND e.idempotency_key LIKE 'refund:%'
 GROUP BY a.code
"""

INSERT_RUN = """
INSERT INTO reconciliation_runs (id, started_at, status, difference_count, trial_balance, notes)
VALUES ($1, $2, $3, $4, $5::text::jsonb, $6::text::jsonb)
"""

INSERT_ITEMS = """
INSERT INTO reconciliation_items
    (run_id, seq, kind, chain, asset, address, ledger_amount, chain_amount, difference, detail,
     identity)
SELECT $1, i.seq, i.kind, i.chain, i.asset, i.address, i.ledger_amount, i.chain_amount,
       i.difference, i.detail::jsonb, i.identity
  FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::numeric[],
              $8::numeric[], $9::numeric[], $10::text[], $11::text[])
       AS i(seq, kind, chain, asset, address, ledger_amount, chain_amount, difference, detail,
            identity)
"""

INSERT_HOLDINGS = """
INSERT INTO reconciliation_holdings
    (run_id, chain, asset, address, chain_units, booked, pending, stranded, unmatched,
     refunded, vanished, difference)
SELECT $1, h.*
  FROM unnest($2::text[], $3::text[], $4::text[], $5::numeric[], $6::numeric[],
              $7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[],
              $12::numeric[]) AS h
"""

SELECT_HOLDINGS = """
SELECT chain, asset, address, chain_units, booked, pending, stranded, unmatched, refunded,
       vanished, difference
  FROM reconciliation_holdings WHERE run_id = $1 ORDER BY chain, asset, address
"""

SELECT_RUNS = """
SELECT id, started_at, finished_at, status, difference_count, trial_balance::text AS trial_balance,
       notes::text AS notes
  FROM reconciliation_runs ORDER BY started_at DESC LIMIT $1
"""

SELECT_RUN = """
SELECT id, started_at, finished_at, status, difference_count, trial_balance::text AS trial_balance,
       notes::text AS notes
  FROM reconciliation_runs WHERE id = $1
"""

SELECT_ITEMS = """
SELECT seq, kind, chain, asset, address, ledger_amount, chain_amount, difference,
       detail::text AS detail
  FROM reconciliation_items WHERE run_id = $1 ORDER BY seq
"""

INSERT_RESOLUTION = """
INSERT INTO unmatched_payment_resolutions (transfer_id, action, invoice_id, note)
VALUES ($1, $2, $3, $4)
ON CONFLICT (transfer_id) DO NOTHING
RETURNING transfer_id, action, invoice_id, note, resolved_at
"""

SELECT_ITEM = """
SELECT run_id, seq, kind, chain, asset, address, chain_amount, detail::text AS detail, identity
  FROM reconciliation_items WHERE run_id = $1 AND seq = $2
"""

# The latest opening of every refund hot wallet's asset (see 0100_reconciliation_wallet_openings).
SELECT_WALLET_OPENINGS = """
SELECT DISTINCT ON (chain, asset, address) chain, asset, address, units, as_of
  FROM reconciliation_wallet_openings
 ORDER BY chain, asset, address, as_of DESC
"""
INSERT_WALLET_OPENING = """
INSERT INTO reconciliation_wallet_openings (chain, asset, address, units, as_of, run_id)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (chain, asset, address, as_of) DO NOTHING
"""

INSERT_DECISION = """
INSERT INTO reconciliation_decisions (identity, action, note, run_id, seq)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (identity) DO NOTHING
RETURNING identity, action, note, run_id, seq, decided_at
"""

SELECT_DECISIONS = """
SELECT identity, action FROM reconciliation_decisions WHERE identity = ANY($1::text[])
"""

SELECT_RESOLUTIONS = """
SELECT transfer_id, action, invoice_id, note, resolved_at
  FROM unmatched_payment_resolutions WHERE transfer_id = ANY($1::text[])
"""


async def custody_codes(conn: Conn) -> list[str]:
    return [r["code"] for r in await conn.fetch(SELECT_CUSTODY_CODES)]


async def custody_conversions(conn: Conn) -> dict[str, int]:
    return {r["code"]: int(r["units"]) for r in await conn.fetch(SELECT_CUSTODY_CONVERSIONS)}


async def custody_refunds(conn: Conn) -> dict[str, int]:
    return {r["code"]: int(r["units"]) for r in await conn.fetch(SELECT_CUSTODY_REFUNDS)}


async def insert_run(
    conn: Conn, run_id: str, started_at: Any, status: str, differences: int,
    trial_balance: dict[str, str], notes: list[str],
) -> None:
    await conn.execute(INSERT_RUN, run_id, started_at, status, differences,
                       json.dumps(trial_balance), json.dumps(notes))


async def insert_items(conn: Conn, run_id: str, columns: Sequence[list[Any]]) -> None:
    await conn.execute(INSERT_ITEMS, run_id, *columns)


async def runs(conn: Conn, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_RUNS, limit)


async def run(conn: Conn, run_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_RUN, run_id)


async def items(conn: Conn, run_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_ITEMS, run_id)


async def insert_resolution(
    conn: Conn, transfer_id: str, action: str, invoice_id: str | None, note: str | None
) -> asyncpg.Record | None:
    return await conn.fetchrow(INSERT_RESOLUTION, transfer_id, action, invoice_id, note)


async def resolutions(conn: Conn, transfer_ids: Sequence[str]) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_RESOLUTIONS, list(transfer_ids))


async def item(conn: Conn, run_id: str, seq: int) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_ITEM, run_id, seq)


async def insert_decision(conn: Conn, identity: str, action: str, note: str | None,
                          run_id: str, seq: int) -> asyncpg.Record | None:
    return await conn.fetchrow(INSERT_DECISION, identity, action, note, run_id, seq)


async def decisions(conn: Conn, identities: Sequence[str]) -> dict[str, str]:
    rows = await conn.fetch(SELECT_DECISIONS, list(identities))
    return {r["identity"]: r["action"] for r in rows}


async def insert_holdings(conn: Conn, run_id: str, columns: Sequence[list[Any]]) -> None:
    await conn.execute(INSERT_HOLDINGS, run_id, *columns)


async def holdings(conn: Conn, run_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_HOLDINGS, run_id)


async def wallet_openings(conn: Conn) -> list[asyncpg.Record]:
    return list(await conn.fetch(SELECT_WALLET_OPENINGS))


async def insert_wallet_opening(conn: Conn, chain: str, asset: str, address: str, units: int,
                                as_of: datetime, run_id: str) -> None:
    await conn.execute(INSERT_WALLET_OPENING, chain, asset, address, units, as_of, run_id)
