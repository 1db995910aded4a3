"""POST /v1/invoices against its own one-INSERT ceiling, at saturation and at half of it.

    .venv/bin/python -m tests.bench.api_bench [--seconds 8] [--rounds 2] [--concurrency 64]
                                              [--profile]

One run, one fresh migrated database (DATABASE_URL's server, else a temporary embedded cluster;
tests/bench/support.py), three measurements, each by the load generator tests/bench/loadgen.py
in a process of its own (this process only waits, so the generator, the server under test and
PostgreSQL share the 2 cores and nothing else):

1. the ceiling: the same machine doing the simplest possible single-row INSERT per HTTP request
   (a bare aiohttp handler, one asyncpg pool INSERT, a tiny JSON answer), closed loop with
   `--concurrency` connections: the most this stack could do with one statement per request;
2. the create path at saturation: `python -m gateway serve` (auth, rate limit, idempotency,
   quotes, deposit address, invoice + options + outbox event; configured like the API processes
   of deploy/compose.yaml: no in-process chain watchers or webhook worker), the same closed
   loop, every request with a fresh Idempotency-Key as a client would send;
3. the create path in an OPEN loop at a fixed rate of half the rate measured in (2): p50/p99
   latency counted from when each request was due.

(1) and (2) alternate `--rounds` times and the best of each is kept, so load that other
processes put on the machine does not land on one side of the ratio only.

Both servers use pools of the same size from gateway.db.pool.create_pool. Targets (issue 10):
create >= 25 % of the ceiling (aiming at 40 %), p99 < 25 ms in (3). Because req/s on a shared
machine moves with whatever else runs, each closed-loop run also reports the CPU time the
server process and its PostgreSQL backends used per request, and their ceiling/create ratio.
`--profile` also samples the gateway with py-spy (`--gil`: Python work, not time spent waiting
in socket calls) during an extra saturation run and writes the hottest functions to
bench-results/api-profile.txt. Prints a table and writes bench-results/api.json. Figures on a
shared 2-core machine are noisy: compare runs made one after the other.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
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
PROFILE = Path("bench-results") / "api-profile.txt"
POOL_SIZE = 20
CEILING_TABLE = ("CREATE TABLE IF NOT EXISTS bench_api_ceiling "
                 "(id bigserial PRIMARY KEY, amount bigint)")
CEILING_INSERT = "INSERT INTO bench_api_ceiling (amount) VALUES ($1) RETURNING id"
LINE_NUMBER = re.compile(r":\d+\)$")  # "f (file.py:12)" -> "f (file.py)": one row per function
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BACKENDS = ("SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()")
TARGET_RATIO = 0.25
AIM_RATIO = 0.40
TARGET_P99_MS = 25.0  # float-ok


# -- the ceiling server (run in its own process) -------------------------------------------
async def _ceiling_app(dsn: str) -> web.Application:
    pool = await create_pool(dsn, max_size=POOL_SIZE)
    await pool.execute(CEILING_TABLE)

    async def insert(request: web.Request) -> web.Response:
        body = await request.json()
        row_id = await pool.fetchval(CEILING_INSERT, body["amount"])
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
async def process(argv: list[str], env: dict[str, str], url: str) -> AsyncIterator[int]:
    """A server process, once its /healthz answers; yields its pid."""
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
        yield proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


# -- CPU used per request: the server process and the database backends serving it ---------
def _cpu_seconds(pid: int) -> float:  # float-ok
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


async def _backends(dsn: str) -> set[int]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(BACKENDS)
    finally:
        await conn.close()
    return {row["pid"] for row in rows}


@dataclass
class CpuMeter:
    """CPU seconds the server and the database's backends use: unlike req/s, it does not
    depend on what else the shared machine runs at the time."""

    dsn: str
    server_pid: int
    before: dict[int, float] = field(default_factory=dict)  # float-ok

    async def start(self) -> None:
        pids = await _backends(self.dsn) | {self.server_pid}
        self.before = {pid: _cpu_seconds(pid) for pid in pids}

    async def used(self) -> tuple[float, float]:  # float-ok
        """CPU seconds since `start`: (the server process, the database backends)."""
        pids = await _backends(self.dsn) | set(self.before)
        used = {pid: _cpu_seconds(pid) - self.before.get(pid, 0.0) for pid in pids}
        return used[self.server_pid], sum(used.values()) - used[self.server_pid]


# -- load (tests/bench/loadgen.py, a process of its own) ------------------------------------
async def load(name: str, url: str, *, seconds: float, closed: int | None = None,  # float-ok
               rate: float | None = None, key: str | None = None,  # float-ok
               meter: CpuMeter | None = None) -> dict[str, Any]:
    argv = [sys.executable, "-m", "tests.bench.loadgen", url, "--name", name,
            "--seconds", str(seconds)]
    argv += ["--rate", str(rate)] if rate else ["--closed", str(closed)]
    if key is not None:
        argv += ["--header", f"Authorization:Bearer {key}", "--keyed"]
    if meter is not None:
        await meter.start()
    proc = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed for {name}")
    result: dict[str, Any] = json.loads(out)
    if meter is not None:
        server, database = await meter.used()
        result["cpu_ms_per_request"] = round((server + database) * 1000 / result["all_requests"],
                                             3)
        result["server_cpu_share"] = round(server / (server + database), 2)
    return result


async def profile(pid: int, url: str, key: str, seconds: float,  # float-ok
                  concurrency: int) -> str:
    """py-spy samples the gateway under a saturation load; the hottest functions as text."""
    raw = PROFILE.with_suffix(".collapsed")
    raw.parent.mkdir(exist_ok=True)
    spy = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid), "--format",
        "raw", "--output", str(raw), "--duration", str(int(seconds)), "--nonblocking", "--gil",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    await load("profiled", url, seconds=seconds, closed=concurrency, key=key)
    await spy.wait()
    return summarise(raw.read_text()) if raw.exists() else "py-spy wrote no profile\n"


def summarise(collapsed: str, top: int = 30) -> str:
    """Inclusive share of samples per function ("name (file:line)") of py-spy's raw output."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        total += int(count)
        frames = [LINE_NUMBER.sub(")", frame) for frame in stack.split(";")]
        own[frames[-1]] += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)

    def table(counter: collections.Counter[str]) -> str:
        return "\n".join(f"{count * 100 / total:5.1f}%  {frame}"  # float-ok
                         for frame, count in counter.most_common(top))

    return (f"{total} samples; inclusive share per function:\n{table(inclusive)}\n\n"
            f"self share per function:\n{table(own)}\n")


async def _api_key(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        merchant = await service.create_merchant(
            conn, MerchantInput(name="Bench shop", bin=TEST_BIN, iban=TEST_IBAN))
        return (await service.issue_api_key(conn, merchant.id,
                                            Settings().api_key_pepper)).secret
    finally:
        await conn.close()


async def run(seconds: float, concurrency: int, rounds: int,  # float-ok
              with_profile: bool) -> dict[str, Any]:
    async with bench_database("api_bench") as dsn:
        key = await _api_key(dsn)
        gw_port, ceil_port = free_port(), free_port()
        gateway = [sys.executable, "-m", "gateway", "serve"]
        ceiling = [sys.executable, "-m", "tests.bench.api_bench", "--ceiling-server",
                   str(ceil_port), "--dsn", dsn]
        gw_url, ceil_url = f"http://127.0.0.1:{gw_port}", f"http://127.0.0.1:{ceil_port}"
        create_url = gw_url + "/v1/invoices"
        ceilings, creates = [], []
        async with process(ceiling, dict(os.environ), ceil_url) as ceil_pid, \
                process(gateway, _gateway_env(dsn, gw_port), gw_url) as pid:
            ceil_meter, gw_meter = CpuMeter(dsn, ceil_pid), CpuMeter(dsn, pid)
            # Alternated, best of each: the other load on a shared machine comes and goes,
            # and must not fall on one side of the ratio only. An idle server costs nothing.
            for _ in range(rounds):
                ceilings.append(await load("ceiling: 1 INSERT", ceil_url + "/insert",
                                           seconds=seconds, closed=concurrency,
                                           meter=ceil_meter))
                creates.append(await load("create: saturation", create_url, seconds=seconds,
                                          closed=concurrency, key=key, meter=gw_meter))
            ceiling_result = max(ceilings, key=lambda r: r["rps"])
            saturated = max(creates, key=lambda r: r["rps"])
            half = round(saturated["rps"] / 2, 1)
            paced = await load("create: half rate", create_url, seconds=seconds, rate=half,
                               key=key)
            hottest = await profile(pid, create_url, key, seconds, concurrency) \
                if with_profile else None
    ratio = saturated["rps"] / ceiling_result["rps"] if ceiling_result["rps"] else 0.0
    ceiling_cpu = min(r["cpu_ms_per_request"] for r in ceilings)
    create_cpu = min(r["cpu_ms_per_request"] for r in creates)
    return {
        "concurrency": concurrency,
        "rounds": {"ceiling_rps": [r["rps"] for r in ceilings],
                   "create_rps": [r["rps"] for r in creates]},
        "results": [ceiling_result, saturated, paced],
        "create_over_ceiling": round(ratio, 3),
        # CPU (server + database backends) per request: the ratio the machine would reach
        # without other load, since at saturation the CPUs are what both runs are bound by.
        "cpu_ms_per_request": {"ceiling": ceiling_cpu, "create": create_cpu},
        "cpu_ratio": round(ceiling_cpu / create_cpu, 3) if create_cpu else 0.0,
        "half_rate": half,
        "targets": {"create_over_ceiling": TARGET_RATIO, "aim": AIM_RATIO,
                    "p99_ms_at_half_rate": TARGET_P99_MS},
        "met": ratio >= TARGET_RATIO and paced["p99_ms"] < TARGET_P99_MS,
        "profile": hottest,
        "note": "shared 2-core machine; load generator, server and PostgreSQL share the CPUs",
    }


def _print(report: dict[str, Any]) -> None:
    print(f"{'measurement':<20}{'mode':<22}{'requests':>9}{'errors':>7}{'req/s':>9}"
          f"{'p50 ms':>9}{'p99 ms':>9}")
    for r in report["results"]:
        print(f"{r['name']:<20}{r['mode']:<22}{r['requests']:>9}{r['errors']:>7}{r['rps']:>9}"
              f"{r['p50_ms']:>9}{r['p99_ms']:>9}")
    paced = report["results"][2]
    rounds, cpu = report["rounds"], report["cpu_ms_per_request"]
    print(f"rounds (req/s): ceiling {rounds['ceiling_rps']}, create {rounds['create_rps']}")
    ceiling, create = report["results"][0], report["results"][1]
    print(f"CPU per request (server + PostgreSQL backends): ceiling {cpu['ceiling']} ms, "
          f"create {cpu['create']} ms; ceiling/create = {report['cpu_ratio']:.0%}; server's "
          f"share: ceiling {ceiling['server_cpu_share']:.0%}, create "
          f"{create['server_cpu_share']:.0%}")
    print(f"create / ceiling = {report['create_over_ceiling']:.0%} (target >= "
          f"{TARGET_RATIO:.0%}, aim {AIM_RATIO:.0%}); p99 at {report['half_rate']}/s = "
          f"{paced['p99_ms']} ms (target < {TARGET_P99_MS:g} ms): "
          f"{'met' if report['met'] else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=2, help="ceiling/create alternations")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--profile", action="store_true", help="py-spy the create path")
    parser.add_argument("--ceiling-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ceiling_server:
        serve_ceiling(args.ceiling_server, args.dsn)
        return
    report = asyncio.run(run(args.seconds, args.concurrency, args.rounds, args.profile))
    _print(report)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    if report["profile"]:
        PROFILE.write_text(report["profile"])
        print(f"profile: {PROFILE}")


if __name__ == "__main__":
    main()
