"""Settlement at scale: close a day's batches + write pain.001; build a month's zone summary.

    .venv/bin/python -m tests.bench.settlement_bench [--invoices 100000] [--merchants 500]

A fresh migrated database (DATABASE_URL's server or a temporary embedded cluster, via
tests/bench/support.py's `bench_database`). Settled invoices are bulk-loaded through the real
journal_entries/postings tables (set-based INSERT ... SELECT, so every ledger trigger runs:
stamping, account and balance checks), half bsc:USDT, half solana:SOL. Then timed:
1. close the business day for all merchants and export one pain.001 file (target < 10 s);
2. the zone summary for the 30 business days ending that day (target < 2 s).
Prints a table and writes bench-results/settlement.json. Figures on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gateway.db.pool import create_pool
from gateway.log import configure_logging
from settlement import ledger
from settlement.batches import service as batches
from settlement.batches.calendar import CutoffCalendar
from settlement.db import Conn
from settlement.money import BSC_USDT, KZT, SOLANA_SOL
from settlement.payouts.bin import make_bin
from settlement.payouts.iban import make_kz_iban
from settlement.payouts.pain001 import Party, PurposeCodes
from settlement.payouts.service import ExportRequest, export_batches
from settlement.reports.service import zone_summary
from tests.bench.support import bench_database

RESULTS = Path("bench-results") / "settlement.json"
CHUNK = 10_000

# One chunk of invoices: entries, then their five postings each, in one statement.
LOAD_CHUNK = """
WITH src AS (
    SELECT i, i % $3 AS m, i % 2 AS a, 100000 + (i % 977) * 100 AS gross
      FROM generate_series($1::bigint, $2::bigint) i
), e AS (
    INSERT INTO journal_entries (idempotency_key, kind, reference, content_hash, metadata)
    SELECT 'invoice:bench' || i || ':settlement', 'invoice_settlement', 'inv_b' || i,
           md5(i::text) || md5('x' || i::text),
           jsonb_build_object('invoice_id', 'inv_b' || i, 'merchant_id', ($4::text[])[m + 1])
      FROM src
    RETURNING id, reference
)
INSERT INTO postings (entry_id, account_id, currency, amount, direction)
SELECT e.id, x.account_id, x.currency, x.amount, x.direction::ledger_direction
  FROM e JOIN src ON e.reference = 'inv_b' || src.i
 CROSS JOIN LATERAL (VALUES
     (($5::bigint[])[a + 1], ($6::text[])[a + 1], (src.gross * 10000000000)::numeric, 'debit'),
     (($7::bigint[])[a + 1], ($6::text[])[a + 1], (src.gross * 10000000000)::numeric, 'credit'),
     ($8::bigint, 'KZT', src.gross::numeric, 'debit'),
     (($9::bigint[])[m + 1], 'KZT', (src.gross - src.gross / 100)::numeric, 'credit'),
     ($10::bigint, 'KZT', (src.gross / 100)::numeric, 'credit')
 ) AS x(account_id, currency, amount, direction)
"""


async def _account_ids(conn: Conn, specs: Sequence[ledger.AccountSpec]) -> list[int]:
    await ledger.ensure_accounts(conn, specs)
    rows = await conn.fetch("SELECT code, id FROM ledger_accounts WHERE code = ANY($1)",
                            [s.code for s in specs])
    ids = {r["code"]: r["id"] for r in rows}
    return [ids[s.code] for s in specs]


async def load(conn: Conn, invoices: int, merchants: list[str]) -> float:
    custody = await _account_ids(conn, [ledger.custody_of(BSC_USDT),
                                        ledger.custody_of(SOLANA_SOL)])
    position = await _account_ids(conn, [ledger.fx_position(BSC_USDT),
                                         ledger.fx_position(SOLANA_SOL)])
    [kzt_position, fee] = await _account_ids(conn, [ledger.fx_position(KZT),
                                                    ledger.FEE_REVENUE])
    payables = await _account_ids(conn, [ledger.merchant_payable(m) for m in merchants])
    started = time.perf_counter()
    for lo in range(1, invoices + 1, CHUNK):
        hi = min(lo + CHUNK - 1, invoices)
        async with conn.transaction():
            await conn.execute(LOAD_CHUNK, lo, hi, len(merchants), merchants, custody,
                               [BSC_USDT.code, SOLANA_SOL.code], position, kzt_position,
                               payables, fee)
    return time.perf_counter() - started


async def run(invoices: int, merchant_count: int) -> dict[str, Any]:
    merchants = [f"mch_bench{i:05d}" for i in range(merchant_count)]
    payees = {m: Party(f"Bench shop {i}", make_kz_iban("722", f"B{i:012d}"), "CASPKZKA",
                       make_bin("04084000123")) for i, m in enumerate(merchants)}

    async def lookup(conn: Conn, ids: Sequence[str]) -> Mapping[str, Party]:
        return {m: payees[m] for m in ids}

    async with bench_database("settlement_bench") as url:
        pool = await create_pool(url, min_size=1, max_size=4)
        try:
            async with pool.acquire() as conn:
                load_s = await load(conn, invoices, merchants)
                await ledger.take_snapshots(conn)
                # Statistics as autovacuum keeps them on a live system (a day's entries are
                # not fresh news to the planner at cut-off time).
                await conn.execute("ANALYZE journal_entries, postings, ledger_accounts")
                cut = await conn.fetchval("SELECT clock_timestamp()")
                local = cut.astimezone(CutoffCalendar.create().zone)
                calendar = CutoffCalendar.create("Asia/Almaty", timedelta(
                    hours=local.hour, minutes=local.minute, seconds=local.second,
                    microseconds=local.microsecond))
                day = calendar.business_day_of(cut - timedelta(microseconds=1))
                t0 = time.perf_counter()
                closed = await batches.close_business_day(conn, calendar, day)
                t1 = time.perf_counter()
                with tempfile.TemporaryDirectory() as out:
                    payout = await export_batches(
                        conn, ExportRequest(up_to_day=day), payees=lookup,
                        debtor=payees[merchants[0]], purpose=PurposeCodes(),
                        execution_date=day, now=datetime.now(UTC), out_dir=Path(out))
                    size = payout.document.__len__() if payout else 0
                t2 = time.perf_counter()
                rows = await zone_summary(conn, calendar, day - timedelta(days=29), day)
                t3 = time.perf_counter()
        finally:
            await pool.close()
    return {
        "invoices": invoices, "merchants": merchant_count,
        "load_seconds": round(load_s, 2),
        "close_seconds": round(t1 - t0, 3), "export_seconds": round(t2 - t1, 3),
        "close_and_export_seconds": round(t2 - t0, 3), "close_target_seconds": 10,
        "batches_closed": len(closed.closed), "transfers": payout.transfer_count if payout else 0,
        "pain001_bytes": size,
        "zone_summary_month_seconds": round(t3 - t2, 3), "zone_summary_target_seconds": 2,
        "zone_summary_rows": len(rows),
        "zone_summary_invoices": sum(r.invoice_count for r in rows),
        "note": "shared 2-core machine with other engineers' work running: figures are noisy",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--merchants", type=int, default=500)
    args = parser.parse_args()
    configure_logging("console", "warning")
    result = asyncio.run(run(args.invoices, args.merchants))
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
