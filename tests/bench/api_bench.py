"""POST /v1/invoices throughput and latency against the real stack, next to its ceiling.

    .venv/bin/python -m tests.bench.api_bench [--seconds 10] [--concurrency 64]

A fresh migrated database (DATABASE_URL's server, else a temporary embedded cluster; see
tests/bench/support.py). Two servers run as separate processes, each with the same pool
size: the gateway itself (`python -m gateway serve`: auth, rate limit, idempotency, quotes,
deposit address, invoice + options + outbox event in one statement; configured like the API
processes of deploy/compose.yaml: no in-process chain watchers or webhook worker), and the
ceiling, a bare aiohttp endpoint that parses the same JSON body and does one asyncpg INSERT
(both pools from gateway.db.pool.create_pool, so both skip the reset query). This process is
the load generator: `--concurrency` connections, each posting back to back for `--seconds`
after a warm-up; every gateway request carries a fresh Idempotency-Key, as a client would.
Target: gateway >= 50 % of the ceiling's throughput and p99 < 50 ms. Prints a table and
writes bench-results/api.json. Figures on a shared 2-core machine are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

from gateway.config import Settings
from gateway.db.pool import create_pool
from gateway.merchants import service
from gateway.merchants.service import MerchantInput
from tests.bench.support import bench_database
from tests.plugins.app import TEST_BIN, TEST_IBAN, TEST_TOKENS, free_port

RESULTS = Path("bench-results") / "api.json"
POOL_SIZE = 20
BODY = {"amount": 1_500_000, "currency": "KZT", "order_id": "bench", "description": "bench",
        "metadata": {"k": "v"}}
CEILING_TABLE = ("CREATE TABLE IF NOT EXISTS bench_api_ceiling "
                 "(id bigserial PRIMARY KEY, amount bigint, body jsonb)")
CEILING_INSERT = "INSERT INTO bench_api_ceiling (amount, body) VALUES ($1, $2) RETURNING id"


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float


# -- the ceiling server (run in its own process) -------------------------------------------
async def _ceiling_app(dsn: str) -> web.Application:
    pool = await create_pool(dsn, max_size=POOL_SIZE)
    await pool.execute(CEILING_TABLE)

    async def insert(request: web.Request) -> web.Response:
        body = await request.json()
        row_id = await pool.fetchval(CEILING_INSERT, body["amount"], body)
        return web.json_response({"id": row_id, "object": "row"})

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/insert", insert)
    app.router.add_get("/healthz", health)
    return app


def serve_ceiling(port: int, dsn: str) -> None:
    web.run_app(_ceiling_app(dsn), host="127.0.0.1", port=port, print=None, access_log=None)


# -- processes -------------------------------------------------------------------------------
def _gateway_env(dsn: str, port: int) -> dict[str, str]:
    # An API process as deploy/compose.yaml runs it: chain watchers and the webhook worker run
    # in processes of their own, not in the API process being measured.
    env = dict(os.environ, DATABASE_URL=dsn, GATEWAY_PORT=str(port),
               GATEWAY_LOG_LEVEL="warning", GATEWAY_DB_POOL_SIZE=str(POOL_SIZE),
               API_RATE_LIMIT="1000000", API_RATE_BURST="1000000",
               GATEWAY_WATCHERS="off", WEBHOOK_WORKER="off")
    env.update({name.upper(): value for name, value in TEST_TOKENS.items()})
    return env


@asynccontextmanager
async def process(argv: list[str], env: dict[str, str], url: str) -> AsyncIterator[None]:
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                try:
                    async with session.get(url + "/healthz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if proc.poll() is not None:
                    raise RuntimeError(f"{argv} exited with {proc.returncode}")
                await asyncio.sleep(0.1)
        yield
    finally:
        proc.terminate()
        proc.wait(10)


# -- load --------------------------------------------------------------------------------------
async def _worker(session: aiohttp.ClientSession, url: str, headers: dict[str, str],
                  idempotent: bool, until: float, latencies: list[float],
                  errors: list[int]) -> None:
    payload = json.dumps(BODY)
    while time.perf_counter() < until:
        sent = dict(headers)
        if idempotent:
            sent["Idempotency-Key"] = secrets.token_hex(12)
        start = time.perf_counter()
        async with session.post(url, data=payload, headers=sent) as resp:
            await resp.read()
            ok = resp.status == 200
        if ok:
            latencies.append(time.perf_counter() - start)
        else:
            errors.append(resp.status)


async def load(name: str, url: str, headers: dict[str, str], *, idempotent: bool,
               seconds: float, concurrency: int, warmup: float = 2.0) -> Result:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        for phase, duration in (("warmup", warmup), ("measure", seconds)):
            latencies: list[float] = []
            errors: list[int] = []
            start = time.perf_counter()
            until = start + duration
            await asyncio.gather(*(
                _worker(session, url, headers, idempotent, until, latencies, errors)
                for _ in range(concurrency)
            ))
            elapsed = time.perf_counter() - start
            if phase == "warmup" and not latencies:
                raise RuntimeError(f"{name}: no successful request during warm-up: {errors[:5]}")
    quantiles = statistics.quantiles(latencies, n=100)
    return Result(name, len(latencies), len(errors), round(elapsed, 2),
                  round(len(latencies) / elapsed, 1), round(quantiles[49] * 1000, 2),
                  round(quantiles[98] * 1000, 2))


async def _api_key(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        merchant = await service.create_merchant(
            conn, MerchantInput(name="Bench shop", bin=TEST_BIN, iban=TEST_IBAN))
        return (await service.issue_api_key(conn, merchant.id,
                                            Settings().api_key_pepper)).secret
    finally:
        await conn.close()


async def run(seconds: float, concurrency: int) -> dict[str, Any]:
    async with bench_database("api_bench") as dsn:
        key = await _api_key(dsn)
        gw_port, ceil_port = free_port(), free_port()
        gateway = [sys.executable, "-m", "gateway", "serve"]
        ceiling = [sys.executable, "-m", "tests.bench.api_bench", "--ceiling-server",
                   str(ceil_port), "--dsn", dsn]
        gw_url, ceil_url = f"http://127.0.0.1:{gw_port}", f"http://127.0.0.1:{ceil_port}"
        json_type = {"Content-Type": "application/json"}
        async with process(ceiling, dict(os.environ), ceil_url):
            ceiling_result = await load("ceiling: 1 INSERT", ceil_url + "/insert", json_type,
                                        idempotent=False, seconds=seconds,
                                        concurrency=concurrency)
        async with process(gateway, _gateway_env(dsn, gw_port), gw_url):
            api_result = await load("POST /v1/invoices", gw_url + "/v1/invoices",
                                    {**json_type, "Authorization": f"Bearer {key}"},
                                    idempotent=True, seconds=seconds, concurrency=concurrency)
    ratio = api_result.rps / ceiling_result.rps if ceiling_result.rps else 0.0
    return {
        "concurrency": concurrency,
        "results": [asdict(ceiling_result), asdict(api_result)],
        "ratio_of_ceiling": round(ratio, 3),
        "targets": {"ratio_of_ceiling": 0.5, "p99_ms": 50},
        "met": ratio >= 0.5 and api_result.p99_ms < 50,
        "note": "shared 2-core machine; load generator, servers and PostgreSQL share the CPUs",
    }


def _print(report: dict[str, Any]) -> None:
    print(f"{'target':<22}{'requests':>10}{'errors':>8}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for r in report["results"]:
        print(f"{r['name']:<22}{r['requests']:>10}{r['errors']:>8}{r['rps']:>10}"
              f"{r['p50_ms']:>9}{r['p99_ms']:>9}")
    print(f"gateway / ceiling = {report['ratio_of_ceiling']:.0%}  "
          f"(target >= 50 %, p99 < 50 ms: {'met' if report['met'] else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--ceiling-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ceiling_server:
        serve_ceiling(args.ceiling_server, args.dsn)
        return
    report = asyncio.run(run(args.seconds, args.concurrency))
    _print(report)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
