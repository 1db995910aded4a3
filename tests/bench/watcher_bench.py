"""BNB Chain watcher benchmark: finality-to-settled latency and catch-up throughput.

    .venv/bin/python -m tests.bench.watcher_bench [--open 1000,10000] [--payments 40]
        [--blocks 10000] [--per-block 100] [--span 50] [--poll-ms 100]
        [--issued 1000,1000000] [--no-trace-run] [--ceiling]

1. Latency: N open invoices (1,000 and 10,000) in a fresh database; a generated chain
   (tests/bench/watcher_fakenode.py, 100 USDT transfers per 0.1 s block, finality 2 blocks
   behind the head) pays `--payments` of them. Latency = the `invoice.settled` event's
   time minus the moment the payment's block became final. Target: p99 < 500 ms + one poll
   interval, and the two sizes within 20 % of each other (cost follows chain traffic, not
   open invoices).
2. Catch-up: the watcher starts `--blocks` behind a fixed head of blocks holding `--per-block`
   transfers each (one block in ten also pays one of the open invoices) and replays them
   through its real transport (web3 AsyncHTTPProvider, batched JSON-RPC), parsers, the
   receipt and log checks, call traces, matching and storage. Once per `--issued` size: that
   many BNB Chain addresses ever issued (1,000 open invoices, the rest expired long ago, so
   only the issued set holds them). Target: >= 20,000 transfers/s with 1,000,000 issued
   addresses, within 20 % of the run with 1,000. `--no-trace-run` adds a 1,000-address run
   with tracing off (the cost of `debug_traceBlockByNumber` through the parsers).
3. Ceiling (`--ceiling`, with catch-up): the same chain drained through the same transport
   (RpcClient batches, orjson) as fast as the fake node answers, nothing parsed or stored:
   what this machine can feed the watcher at all, so a catch-up figure reads as a share of it.
   Every catch-up row also carries the fake node's CPU seconds and the 1-minute load average
   before and after (the machine is shared: a ratio means something only within one run).

Uses DATABASE_URL's server when set, else a temporary embedded cluster. Writes
bench-results/watcher.json. The machine is shared: figures are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

from gateway.chains.bsc.scan import BscScanner
from gateway.chains.bsc.watcher import BscConfig, BscWatcher
from gateway.chains.rpc import RpcClient
from gateway.chains.watched import WatchedSet
from gateway.db.pool import create_pool
from gateway.log import configure_logging
from gateway.pipeline import fact_sink
from settlement.fees.service import set_fee_schedule
from tests.bench import watcher_fakenode as node
from tests.bench.support import bench_server
from tests.plugins.db import fresh_database
from tests.plugins.devnet import free_port

RESULTS = Path("bench-results") / "watcher.json"
TOKENS = {node.USDT: "USDT_BSC"}
SEED_MERCHANT = """
INSERT INTO merchants (id, name, bin, iban) VALUES ($1, 'Bench shop', '990340000018',
                                                    'KZ86125KZT5004100100')
"""
SEED_INVOICES = """
INSERT INTO invoices (id, merchant_id, amount, expires_at, monitoring_window, bsc_address,
                      bsc_address_index, qr_token)
SELECT 'inv_bench' || lpad(k::text, 8, '0'), $1, 150000, now() + interval '1 day',
       interval '1 day', '0xa1a1a1a1' || lpad(to_hex(k), 32, '0'), k,
       'qr_bench' || lpad(k::text, 8, '0')
FROM generate_series(0, $2 - 1) AS k
"""
SEED_OPTIONS = """
INSERT INTO invoice_payment_options (invoice_id, asset, position, chain, symbol, token,
    decimals, amount_units, rate, rate_source, rate_fetched_at, uri)
SELECT id, 'USDT_BSC', 0, 'bsc', 'USDT', '0x55d398326f99059fF775485246999027B3197955', 18,
       3000000000000000000, 500, 'fixed', now(), 'ethereum:bench'
FROM invoices WHERE merchant_id = $1
"""


# Invoices that expired long ago (out of their monitoring window: not in the open watched
# set), with addresses spread over the whole prefix space like derived ones.
SEED_FINISHED = """
INSERT INTO invoices (id, merchant_id, status, amount, created_at, expires_at,
                      monitoring_window, bsc_address, bsc_address_index, qr_token)
SELECT 'inv_done' || lpad(k::text, 9, '0'), $1, 'expired', 150000, now() - interval '60 days',
       now() - interval '59 days', interval '1 day',
       '0x' || md5(k::text) || lpad(to_hex(k), 8, '0'), $3 + k,
       'qr_done' || lpad(k::text, 9, '0')
FROM generate_series(0, $2 - 1) AS k
"""


async def seeded_database(server: str, open_invoices: int, finished: int = 0) -> str:
    """A fresh migrated database holding `open_invoices` open USDT invoices of one merchant
    and `finished` expired ones."""
    url = await fresh_database(server, "watcher_bench")
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(SEED_MERCHANT, "mch_benchshop01")
        # The schedule is the one fee source of booking (settlement.fees).
        await set_fee_schedule(conn, "mch_benchshop01", bps=100)
        await conn.execute(SEED_INVOICES, "mch_benchshop01", open_invoices)
        await conn.execute(SEED_OPTIONS, "mch_benchshop01")
        if finished:
            await conn.execute(SEED_FINISHED, "mch_benchshop01", finished, open_invoices)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return url


@asynccontextmanager
async def watcher(url: str, rpc_url: str, *, poll: float, span: int, trace: bool = True
                  ) -> AsyncIterator[tuple[BscWatcher, asyncpg.Pool]]:
    pool = await create_pool(url, max_size=10)
    watched = WatchedSet(url, pool, reload_interval=3600)
    rpc = RpcClient(rpc_url, timeout=30)
    config = BscConfig(rpc_url=rpc_url, tokens=TOKENS, poll_interval=poll, start_block=1,
                       span=span, confirmations=2)
    bsc = BscWatcher(config, fact_sink(pool),
                     BscScanner(rpc, TOKENS, watched, trace_internal=trace))
    tasks = [asyncio.ensure_future(watched.run()), asyncio.ensure_future(bsc.run())]
    try:
        yield bsc, pool
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await rpc.close()
        await pool.close()


async def settled_times(pool: asyncpg.Pool) -> dict[str, float]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT invoice_id, extract(epoch FROM created_at) AS t "
                                "FROM events WHERE type = 'invoice.settled'")
    return {r["invoice_id"]: float(r["t"]) for r in rows}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def latency_run(server: str, open_invoices: int, args: argparse.Namespace
                      ) -> dict[str, Any]:
    url = await seeded_database(server, open_invoices)
    port = free_port()
    spec = node.ChainSpec(mode="live", blocks=10**7, per_block=args.per_block, pay_every=5,
                          payments=args.payments, block_time=0.1, depth=2,
                          t0=time.time() + 2.0)
    proc = node.start(spec, port)
    try:
        await node.wait_ready(f"http://127.0.0.1:{port}")
        async with watcher(url, f"http://127.0.0.1:{port}", poll=args.poll_ms / 1000,
                           span=args.span) as (_, pool):
            deadline = time.time() + 60 + args.payments * 5 * spec.block_time
            while len(done := await settled_times(pool)) < args.payments:
                if time.time() > deadline:
                    raise TimeoutError(f"only {len(done)} of {args.payments} settled")
                await asyncio.sleep(0.2)
    finally:
        proc.terminate()
        proc.join(5)
    latencies = []
    for k in range(args.payments):
        block = (k + 1) * spec.pay_every
        final_at = spec.t0 + (block + spec.depth) * spec.block_time
        latencies.append((done[f"inv_bench{k:08d}"] - final_at) * 1000)
    return {"open_invoices": open_invoices, "payments": args.payments,
            "poll_ms": args.poll_ms, "p50_ms": round(statistics.median(latencies), 1),
            "p99_ms": round(percentile(latencies, 99), 1),
            "max_ms": round(max(latencies), 1)}


def process_cpu(pid: int | None) -> float:  # float-ok
    """CPU seconds (user + system) a live process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> float:  # float-ok
    return round(os.getloadavg()[0], 2)


async def ceiling_run(args: argparse.Namespace) -> dict[str, Any]:
    """The replay chain read through the watcher's transport only (see the module doc)."""
    port = free_port()
    spec = node.ChainSpec(mode="replay", blocks=args.blocks, per_block=args.per_block,
                          pay_every=0, payments=0)
    proc = node.start(spec, port)
    rpc = RpcClient(f"http://127.0.0.1:{port}", timeout=30)
    try:
        await node.wait_ready(f"http://127.0.0.1:{port}")
        load, transfers = load_average(), 0
        started, cpu = time.perf_counter(), time.process_time()
        node_cpu = process_cpu(proc.pid)
        for lo in range(1, args.blocks + 1, args.span):
            numbers = [hex(n) for n in range(lo, min(args.blocks, lo + args.span - 1) + 1)]
            _, _, logs, _ = await asyncio.gather(
                rpc.batch([("eth_getBlockByNumber", [n, True]) for n in numbers]),
                rpc.batch([("eth_getBlockReceipts", [n]) for n in numbers]),
                rpc.call("eth_getLogs", [{"fromBlock": numbers[0], "toBlock": numbers[-1]}]),
                rpc.batch([("debug_traceBlockByNumber", [n, {}]) for n in numbers]))
            transfers += len(logs)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        node_cpu = process_cpu(proc.pid) - node_cpu
    finally:
        await rpc.close()
        proc.terminate()
        proc.join(5)
    return {"blocks": args.blocks, "transfers": transfers, "seconds": round(elapsed, 2),
            "transfers_per_s": round(transfers / elapsed), "client_cpu_seconds": round(cpu, 2),
            "node_cpu_seconds": round(node_cpu, 2), "load_before": load,
            "load_after": load_average()}


async def catchup_run(server: str, args: argparse.Namespace, issued: int, trace: bool = True
                      ) -> dict[str, Any]:
    open_invoices = min(1_000, issued)
    url = await seeded_database(server, open_invoices, issued - open_invoices)
    port = free_port()
    spec = node.ChainSpec(mode="replay", blocks=args.blocks, per_block=args.per_block,
                          pay_every=10, payments=min(open_invoices, args.blocks // 10))
    proc = node.start(spec, port)
    try:
        await node.wait_ready(f"http://127.0.0.1:{port}")
        async with watcher(url, f"http://127.0.0.1:{port}", poll=0.05, span=args.span,
                           trace=trace) as (bsc, _):
            await bsc.watched.wait_current()  # the issued set is loaded: time the scan only
            load, node_cpu = load_average(), process_cpu(proc.pid)
            started, cpu = time.perf_counter(), time.process_time()
            while bsc.stats.blocks < args.blocks:
                if bsc.stats.errors:
                    raise RuntimeError(f"watcher failed: {bsc.stats.last_error}")
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
            node_cpu = process_cpu(proc.pid) - node_cpu
            stats, loaded = bsc.stats, len(bsc.watched.issued)
    finally:
        proc.terminate()
        proc.join(5)
    return {"issued_addresses": loaded, "open_invoices": open_invoices, "trace": trace,
            "blocks": stats.blocks, "transfers_matched": stats.logs_seen,
            "stored_payments": stats.transfers, "seconds": round(elapsed, 2),
            "transfers_per_s": round(stats.logs_seen / elapsed),
            # The watcher's own CPU (this process; not the fake node's nor PostgreSQL's): its
            # capacity, less distorted than wall time when other work shares the cores.
            "cpu_seconds": round(cpu, 2), "transfers_per_cpu_s": round(stats.logs_seen / cpu),
            "blocks_per_s": round(stats.blocks / elapsed), "span": args.span,
            "node_cpu_seconds": round(node_cpu, 2), "load_before": load,
            "load_after": load_average()}


def _print_catchup(row: dict[str, Any]) -> None:
    print(f"catch-up issued={row['issued_addresses']:>8} trace={row['trace']!s:>5} "
          f"{row['blocks']} blocks, {row['transfers_matched']} transfers in {row['seconds']} s: "
          f"{row['transfers_per_s']} transfers/s, {row['transfers_per_cpu_s']} per CPU second "
          f"of the watcher ({row['stored_payments']} payments stored; fake node "
          f"{row['node_cpu_seconds']} CPU s, load {row['load_before']}->{row['load_after']})",
          flush=True)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"latency": [], "note": "shared 2-core machine; noisy"}
    async with bench_server() as server:
        for size in (int(s) for s in args.open.split(",") if s):
            row = await latency_run(server, size, args)
            print(f"latency  open={size:>6}  p50={row['p50_ms']:>7} ms  "
                  f"p99={row['p99_ms']:>7} ms  max={row['max_ms']:>7} ms", flush=True)
            results["latency"].append(row)
        if args.blocks:
            runs = [(int(n), True) for n in args.issued.split(",") if n]
            if args.no_trace_run:
                runs.append((runs[0][0], False))
            results["catchup"] = []
            if args.ceiling:
                results["ceiling"] = row = await ceiling_run(args)
                print(f"ceiling  {row['transfers']} transfers read in {row['seconds']} s: "
                      f"{row['transfers_per_s']} transfers/s (fake node {row['node_cpu_seconds']}"
                      f" CPU s, load {row['load_before']}->{row['load_after']})", flush=True)
            for issued, trace in runs:
                row = await catchup_run(server, args, issued, trace)
                _print_catchup(row)
                results["catchup"].append(row)
    return results


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--open", default="1000,10000")
    parser.add_argument("--payments", type=int, default=40)
    parser.add_argument("--blocks", type=int, default=10_000)
    parser.add_argument("--per-block", type=int, default=100)
    parser.add_argument("--span", type=int, default=50)
    parser.add_argument("--poll-ms", type=int, default=100)
    parser.add_argument("--issued", default="1000,1000000",
                        help="catch-up runs: BNB Chain addresses ever issued, per run")
    parser.add_argument("--no-trace-run", action="store_true",
                        help="add a catch-up run with call tracing off")
    parser.add_argument("--ceiling", action="store_true",
                        help="add a transport-only read of the chain (the machine's ceiling)")
    return parser.parse_args()


if __name__ == "__main__":
    configure_logging("console", "warning")
    outcome = asyncio.run(main(parse()))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(outcome, indent=2) + "\n")
