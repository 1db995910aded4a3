"""`gateway.webhooks:setup(app)`: the routes and, unless WEBHOOK_WORKER=false, the worker.

The worker shares the process's LISTEN connection (the live hub) to wake on new events and
redeliveries; without NOTIFY it still polls every WEBHOOK_POLL_INTERVAL.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from gateway.appkeys import DB_POOL, SETTINGS
from gateway.db.pool import database_url
from gateway.events.hub import DELIVERIES_CHANNEL, EVENTS_CHANNEL, HUB, ensure_hub
from gateway.openapi import register_paths
from gateway.webhooks.delivery import DeliveryWorker, WorkerConfig
from gateway.webhooks.openapi import PATHS, SCHEMAS
from gateway.webhooks.routes import routes

WORKER = web.AppKey("webhook_worker", DeliveryWorker)


async def _worker_ctx(app: web.Application) -> AsyncIterator[None]:
    worker = DeliveryWorker(app[DB_POOL], WorkerConfig.from_settings(app[SETTINGS]))
    app[WORKER] = worker
    hub = app[HUB]
    hub.add_listener(EVENTS_CHANNEL, worker.wake)
    hub.add_listener(DELIVERIES_CHANNEL, worker.wake)
    task = asyncio.create_task(worker.run(), name="webhook-worker")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def setup_webhooks(app: web.Application) -> None:
    register_paths(PATHS, SCHEMAS)
    app.router.add_routes(routes)
    settings = app[SETTINGS]
    if settings.webhooks.worker:
        ensure_hub(app, database_url(settings), queue_size=settings.live.queue_size)
        app.cleanup_ctx.append(_worker_ctx)
