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
from gateway.log import get_logger
from gateway.openapi import register_paths
from gateway.webhooks.delivery import DeliveryWorker, WorkerConfig
from gateway.webhooks.openapi import PATHS, SCHEMAS
from gateway.webhooks.routes import routes
from gateway.webhooks.sealing import seal_plain_secrets

log = get_logger(__name__)

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


async def _seal_ctx(app: web.Application) -> AsyncIterator[None]:
    """Encrypt signing secrets stored before encryption at rest (idempotent, at start)."""
    async with app[DB_POOL].acquire() as conn:
        sealed = await seal_plain_secrets(conn, app[SETTINGS].webhooks.secret_key)
    if sealed:
        log.info("webhook_secrets_sealed", count=sealed)
    yield


def setup_webhooks(app: web.Application) -> None:
    register_paths(PATHS, SCHEMAS)
    app.router.add_routes(routes)
    app.cleanup_ctx.append(_seal_ctx)
    settings = app[SETTINGS]
    if settings.webhooks.worker:
        ensure_hub(app, database_url(settings), queue_size=settings.live.queue_size)
        app.cleanup_ctx.append(_worker_ctx)
