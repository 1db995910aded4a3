"""Ledger write throughput and balance reads under contention on the hot accounts.

    .venv/bin/python -m tests.bench.ledger_bench [--seconds 5] [--writers 1,4,16]

Uses DATABASE_URL's server when set, else starts an embedded cluster in a temp dir; either
way a fresh database, migrated. Every entry has the settled-invoice shape (5 postings in two
currencies) and touches the same custody, fx_position:* and fee_revenue accounts, the way
every real payment does. For comparison the same run measures a bare single-row INSERT loop
(one row per transaction) on the same cluster: the commit rate the disk allows.
Prints a table and writes bench-results/ledger.json. Figures on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

from gateway.db.embedded import SERVER_SETTINGS
from gateway.db.pool import create_pool
from gateway.log import configure_logging
from settlement import ledger
from settlement.booking import invoice_settlement_postings
from settlement.db import Conn
from settlement.ledger import FEE_REVENUE
from settlement.money import BSC_USDT, Money
from tests.bench.support import bench_database as bench_database  # api_bench imports it here

RESULTS = Path("bench-results") / "ledger.json"
RAW_TABLE = "CREATE TABLE IF NOT EXISTS bench_raw_inserts (id bigserial PRIMARY KEY, v bigint)"
RAW_INSERT = "INSERT INTO bench_raw_inserts (v) VALUES ($1)"

Op = Callable[[Conn, int], Awaitable[None]]


def settle_op(run: str) -> Op:
    async def op(conn: Conn, n: int) -> None:
        merchant = f"{run}-m{n % 50}"
        await ledger.post(
            conn, idempotency_key=f"{run}-{n}", kind="invoice_settled",
            postings=invoice_settlement_postings(
                merchant_id=merchant, received=Money(29 * 10**18 + n, BSC_USDT),
                kzt_gross=1_500_000, fee=22_500,
            ),
        )
    return op


async def raw_op(conn: Conn, n: int) -> None:
    await conn.execute(RAW_INSERT, n)


async def measure(pool: asyncpg.Pool, writers: int, seconds: float, op: Op) -> dict[str, Any]:
    """`writers` tasks, each on its own connection, run `op` until the time is up."""
    latencies: list[float] = []
    counter = iter(range(10**12))
    deadline = time.perf_counter() + seconds

    async def writer() -> None:
        async with pool.acquire() as conn:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                await op(conn, next(counter))
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(writers)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "writers": writers,
        "operations": len(ordered),
        "seconds": round(elapsed, 3),
        "per_second": round(len(ordered) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3),
    }


async def timed(call: Callable[[], Awaitable[Any]], repeat: int = 20) -> float:
    """Median milliseconds of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return round(statistics.median(samples) * 1000, 3)


async def reads(pool: asyncpg.Pool) -> dict[str, Any]:
    """fee_revenue's balance with every posting unsnapshotted, then after take_snapshots."""
    async with pool.acquire() as conn:
        postings = await conn.fetchval(
            "SELECT count(*) FROM postings p JOIN ledger_accounts a ON a.id = p.account_id "
            "WHERE a.code = $1", FEE_REVENUE.code,
        )
        cold = await timed(lambda: ledger.balance(conn, FEE_REVENUE.code))
        started = time.perf_counter()
        written = await ledger.take_snapshots(conn)
        snapshot_ms = round((time.perf_counter() - started) * 1000, 1)
        warm = await timed(lambda: ledger.balance(conn, FEE_REVENUE.code))
        trial = await ledger.trial_balance(conn)
    return {
        "fee_revenue_postings": postings,
        "balance_ms_without_snapshot": cold,
        "take_snapshots_ms": snapshot_ms,
        "snapshot_rows_written": written,
        "balance_ms_with_snapshot": warm,
        "trial_balance": trial,
    }


def report(result: dict[str, Any]) -> str:
    lines = [
        f"{'workload':<26}{'writers':>8}{'ops':>9}{'ops/s':>10}{'p50 ms':>9}{'p99 ms':>9}",
    ]
    for name in ("ledger_entries", "raw_inserts"):
        for row in result[name]:
            lines.append(
                f"{name:<26}{row['writers']:>8}{row['operations']:>9}{row['per_second']:>10}"
                f"{row['p50_ms']:>9}{row['p99_ms']:>9}"
            )
    r = result["reads"]
    lines.append(
        f"fee_revenue balance over {r['fee_revenue_postings']} postings: "
        f"{r['balance_ms_without_snapshot']} ms without snapshot, "
        f"{r['balance_ms_with_snapshot']} ms after take_snapshots ({r['take_snapshots_ms']} ms)"
    )
    lines.append(f"trial balance: {r['trial_balance']}")
    return "\n".join(lines)


async def run(seconds: float, writer_counts: list[int]) -> dict[str, Any]:
    async with bench_database("ledger_bench") as url:
        pool = await create_pool(url, min_size=2, max_size=max(writer_counts) + 2)
        try:
            async with pool.acquire() as conn:
                await conn.execute(RAW_TABLE)
            run_id = secrets.token_hex(3)
            await measure(pool, 1, 0.5, settle_op(f"warm-{run_id}"))
            entries = [
                await measure(pool, w, seconds, settle_op(f"{run_id}-w{w}"))
                for w in writer_counts
            ]
            raw = [await measure(pool, w, seconds, raw_op) for w in (1, max(writer_counts))]
            read = await reads(pool)
        finally:
            await pool.close()
    return {
        "ledger_entries": entries,
        "raw_inserts": raw,
        "reads": read,
        "entry_shape": "settled invoice: 5 postings, KZT + bsc:USDT, shared fee/fx accounts",
        "seconds_per_level": seconds,
        "cpu_count": os.cpu_count(),
        "server_settings": SERVER_SETTINGS,
        "database": "DATABASE_URL" if os.environ.get("DATABASE_URL") else "embedded (temp dir)",
        "note": "measured on a machine shared with other work; expect noise",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--writers", default="1,4,16")
    args = parser.parse_args()
    configure_logging("console", "warning")
    writer_counts = [int(w) for w in args.writers.split(",")]
    result = asyncio.run(run(args.seconds, writer_counts))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(report(result))
    print(f"written: {RESULTS}")


if __name__ == "__main__":
    main()
