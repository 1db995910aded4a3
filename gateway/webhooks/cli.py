"""`python -m gateway webhooks worker`: a delivery worker process without an HTTP server.

For deployments that scale delivery separately from the API (run the API with
WEBHOOK_WORKER=false). It holds its own LISTEN connection, so it wakes on new events and
redeliveries like the in-app worker, and stops cleanly on SIGTERM/SIGINT (in-flight attempts
finish first).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from gateway.config import Settings
from gateway.db.pool import create_pool, database_url
from gateway.events.hub import DELIVERIES_CHANNEL, EVENTS_CHANNEL, NotifyHub
from gateway.log import get_logger
from gateway.webhooks.delivery import DeliveryWorker, WorkerConfig

log = get_logger(__name__)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("webhooks", help="webhook delivery")
    actions = parser.add_subparsers(dest="action", required=True)
    worker = actions.add_parser("worker", help="run a delivery worker (no HTTP server)")
    worker.set_defaults(func=_handle_worker)


def _handle_worker(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(_main(settings))
    return 0


async def _main(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await run_worker(settings, stop)


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Deliver until `stop` is set."""
    dsn = database_url(settings)
    pool = await create_pool(dsn, min_size=1, max_size=settings.webhooks.concurrency + 2)
    hub = NotifyHub(dsn, channels=(EVENTS_CHANNEL, DELIVERIES_CHANNEL))
    worker = DeliveryWorker(pool, WorkerConfig.from_settings(settings))
    hub.add_listener(EVENTS_CHANNEL, worker.wake)
    hub.add_listener(DELIVERIES_CHANNEL, worker.wake)
    tasks = [asyncio.create_task(hub.run(), name="live-hub"),
             asyncio.create_task(worker.run(), name="webhook-worker")]
    try:
        await stop.wait()
    finally:
        log.info("webhook_worker_stopping")
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await pool.close()
