"""Webhooks: the events outbox, merchants' endpoints, signed delivery with retries.

`gateway.webhooks.outbox.emit` is what other domains call (in their own transaction) on
every invoice transition; `setup(app)` adds the HTTP routes and the delivery worker.
"""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    # Imported here so that `from gateway.webhooks.outbox import emit` stays light and never
    # pulls in the HTTP layer (the chain watchers import the outbox without any routes).
    from gateway.webhooks.wiring import setup_webhooks

    setup_webhooks(app)
