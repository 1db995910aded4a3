"""Webhook outbox and delivery figures on the real stack (PostgreSQL + HTTP receiver).

    .venv/bin/python -m tests.bench.webhooks_bench [--events 2000] [--workers 2]

1. emit: `--events` events by 16 concurrent connections, each `emit` in its own transaction
   (event row + NOTIFY), with one subscribed endpoint: emits/s, p50/p99.
2. drain: `--workers` delivery workers (WEBHOOK_CONCURRENCY 16 each) fan the backlog out into
   deliveries and deliver it to a local aiohttp receiver answering 200: deliveries/s; checks
   each event arrived exactly once.
3. wake-up latency: 50 single events emitted one after another with an idle worker polling
   only every 60 s: commit -> receiver arrival, p50/p99 (NOTIFY path).

A fresh database (DATABASE_URL's server, else a temporary embedded cluster). Figures on the
shared 2-core machine are noisy (other engineers' processes run at the same time).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import time
from collections import Counter

import asyncpg
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.db.pool import create_pool
from gateway.events.hub import DELIVERIES_CHANNEL, EVENTS_CHANNEL, NotifyHub
from gateway.events.outbox import emit
from gateway.webhooks.delivery import DeliveryWorker, WorkerConfig
from gateway.webhooks.service import RetryPolicy
from gateway.webhooks.signing import new_secret
from gateway.webhooks.urlguard import UrlPolicy
from tests.bench.support import bench_database

MERCHANT = "mch_bench" + secrets.token_hex(4)
DATA = {"id": "inv_bench", "object": "invoice", "status": "settled", "amount": 1_500_000}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


class Receiver:
    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        self.arrivals: dict[str, float] = {}

    async def handle(self, request: web.Request) -> web.Response:
        event_id = json.loads(await request.read())["id"]
        self.seen[event_id] += 1
        self.arrivals.setdefault(event_id, time.perf_counter())
        return web.Response(text="ok")


def worker_config(poll: float) -> WorkerConfig:
    return WorkerConfig(timeout=10, concurrency=16, poll_interval=poll,
                        url_policy=UrlPolicy(dev=True),
                        retry=RetryPolicy(base_seconds=1, cap_seconds=60, window_seconds=3600))


async def bench_emit(pool: asyncpg.Pool, events: int) -> list[str]:
    latencies: list[float] = []
    ids: list[str] = []
    counter = iter(range(events))

    async def client() -> None:
        async with pool.acquire() as conn:
            for _ in counter:
                start = time.perf_counter()
                async with conn.transaction():
                    ids.append(await emit(conn, merchant_id=MERCHANT, type="invoice.settled",
                                          data=DATA))
                latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(16)))
    took = time.perf_counter() - start
    print(f"emit        {events} events in {took:.2f}s: {events / took:.0f}/s, "
          f"p50 {pct(latencies, .5):.1f} ms, p99 {pct(latencies, .99):.1f} ms")
    return ids


async def bench_drain(pool: asyncpg.Pool, receiver: Receiver, ids: list[str],
                      workers: int) -> None:
    runners = [DeliveryWorker(pool, worker_config(0.2)) for _ in range(workers)]
    start = time.perf_counter()
    tasks = [asyncio.create_task(w.run()) for w in runners]
    while sum(1 for i in ids if receiver.seen[i]) < len(ids):
        await asyncio.sleep(0.05)
    took = time.perf_counter() - start
    await asyncio.sleep(0.5)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    duplicates = sum(1 for i in ids if receiver.seen[i] > 1)
    print(f"drain       {len(ids)} deliveries by {workers} workers in {took:.2f}s: "
          f"{len(ids) / took:.0f}/s, duplicates {duplicates}")


async def bench_wakeup(pool: asyncpg.Pool, dsn: str, receiver: Receiver) -> None:
    worker = DeliveryWorker(pool, worker_config(60))
    hub = NotifyHub(dsn)
    hub.add_listener(EVENTS_CHANNEL, worker.wake)
    hub.add_listener(DELIVERIES_CHANNEL, worker.wake)
    tasks = [asyncio.create_task(hub.run()), asyncio.create_task(worker.run())]
    await asyncio.wait_for(hub.connected.wait(), 5)
    latencies = []
    async with pool.acquire() as conn:
        for _ in range(50):
            async with conn.transaction():
                event_id = await emit(conn, merchant_id=MERCHANT, type="invoice.settled",
                                      data=DATA)
            committed = time.perf_counter()
            while event_id not in receiver.arrivals:
                await asyncio.sleep(0.001)
            latencies.append(receiver.arrivals[event_id] - committed)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(f"wake-up     commit -> receiver: p50 {pct(latencies, .5):.1f} ms, "
          f"p99 {pct(latencies, .99):.1f} ms, mean {statistics.mean(latencies) * 1000:.1f} ms")


async def main(events: int, workers: int) -> None:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with bench_database("webhooks_bench") as dsn:
        pool = await create_pool(dsn, max_size=40)
        try:
            await pool.execute(
                "INSERT INTO webhook_endpoints (id, merchant_id, url, enabled_events, secret)"
                " VALUES ('we_bench', $1, $2, '{*}', $3)",
                MERCHANT, str(server.make_url("/hook")), new_secret())
            ids = await bench_emit(pool, events)
            await bench_drain(pool, receiver, ids, workers)
            await bench_wakeup(pool, dsn, receiver)
        finally:
            await pool.close()
            await server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()
    asyncio.run(main(options.events, options.workers))
