"""An HTTP load generator run as a process of its own, so it does not share an event loop
(or a core's time slices) with the bench driver; tests/bench/api_bench.py starts it.

    python -m tests.bench.loadgen URL --closed 64 --seconds 10 [--header K:V ...] [--keyed]
    python -m tests.bench.loadgen URL --rate 150 --seconds 10 ...

Closed loop (`--closed N`): N connections, each posting back to back: the saturation rate.
Open loop (`--rate R`): a request is started every 1/R s whatever the answers do, and its
latency is counted from the moment it was due, not from when it left (so a stalled server
cannot hide its queue: no coordinated omission). `--keyed` sends a fresh Idempotency-Key with
every request, as a client would. Both modes warm up first, then print one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp

BODY = {"amount": 1_500_000, "currency": "KZT", "order_id": "bench", "description": "bench",
        "metadata": {"k": "v"}}
OPEN_LOOP_CONNECTIONS = 512  # bounds sockets; a request waiting for one still counts its wait


@dataclass
class Result:
    name: str
    mode: str
    requests: int
    errors: int
    seconds: float  # float-ok
    rps: float  # float-ok
    p50_ms: float  # float-ok
    p99_ms: float  # float-ok
    all_requests: int = 0  # warm-up included: what the server did while the process ran


@dataclass
class Target:
    url: str
    headers: dict[str, str]
    keyed: bool
    payload: str = json.dumps(BODY)

    async def post(self, session: aiohttp.ClientSession) -> int:
        headers = dict(self.headers)
        if self.keyed:
            headers["Idempotency-Key"] = secrets.token_hex(12)
        async with session.post(self.url, data=self.payload, headers=headers) as resp:
            await resp.read()
            return resp.status


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []  # float-ok
        self.errors: list[int] = []

    def add(self, status: int, started: float) -> None:  # float-ok
        if status == 200:
            self.latencies.append(time.perf_counter() - started)
        else:
            self.errors.append(status)

    def result(self, name: str, mode: str, elapsed: float) -> Result:  # float-ok
        if len(self.latencies) < 2:
            raise RuntimeError(f"{name}: too few successful requests; errors {self.errors[:5]}")
        cuts = statistics.quantiles(self.latencies, n=100)
        return Result(name, mode, len(self.latencies), len(self.errors), round(elapsed, 2),
                      round(len(self.latencies) / elapsed, 1), round(cuts[49] * 1000, 2),
                      round(cuts[98] * 1000, 2))


async def _closed_worker(session: aiohttp.ClientSession, target: Target, until: float,
                         tally: Tally) -> None:
    while time.perf_counter() < until:
        started = time.perf_counter()
        tally.add(await target.post(session), started)


async def closed_loop(target: Target, connections: int, seconds: float) -> Tally:
    tally = Tally()
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        until = time.perf_counter() + seconds
        await asyncio.gather(*(_closed_worker(session, target, until, tally)
                               for _ in range(connections)))
    return tally


async def _due(session: aiohttp.ClientSession, target: Target, due: float,
               tally: Tally) -> None:
    tally.add(await target.post(session), due)


async def open_loop(target: Target, rate: float, seconds: float) -> Tally:
    tally = Tally()
    connector = aiohttp.TCPConnector(limit=OPEN_LOOP_CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        tasks = []
        for i in range(int(rate * seconds)):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_due(session, target, due, tally)))
        await asyncio.gather(*tasks)
    return tally


async def run(args: argparse.Namespace) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    headers.update(dict(h.split(":", 1) for h in args.header))
    target = Target(args.url, headers, args.keyed)
    if args.rate:
        warm = await open_loop(target, args.rate, args.warmup)
        started = time.perf_counter()
        tally = await open_loop(target, args.rate, args.seconds)
        mode = f"open loop {args.rate:g}/s"
    else:
        warm = await closed_loop(target, args.closed, args.warmup)
        started = time.perf_counter()
        tally = await closed_loop(target, args.closed, args.seconds)
        mode = f"closed loop x{args.closed}"
    result = tally.result(args.name, mode, time.perf_counter() - started)
    result.all_requests = len(warm.latencies) + len(tally.latencies)
    return asdict(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--name", default="load")
    parser.add_argument("--closed", type=int, default=64, help="connections (closed loop)")
    parser.add_argument("--rate", type=float, help="requests per second (open loop)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--header", action="append", default=[], help="Name:value")
    parser.add_argument("--keyed", action="store_true", help="a fresh Idempotency-Key each")
    print(json.dumps(asyncio.run(run(parser.parse_args()))))


if __name__ == "__main__":
    main()
