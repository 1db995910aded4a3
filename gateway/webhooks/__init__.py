"""Webhooks: merchants' endpoints, signed delivery with retries, the `/v1/events` API.

Events are written by other domains through `gateway.events.outbox.emit` (in their own
transaction); webhooks only read them. `setup(app)` adds the HTTP routes and the delivery
worker.
"""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    # Imported here so that importing a webhooks module never pulls in the HTTP layer.
    from gateway.webhooks.wiring import setup_webhooks

    setup_webhooks(app)
