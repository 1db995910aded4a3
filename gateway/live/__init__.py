"""Live invoice status: a LISTEN/NOTIFY hub per process and Server-Sent Event streams."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    from gateway.appkeys import SETTINGS
    from gateway.db.pool import database_url
    from gateway.events.hub import ensure_hub
    from gateway.live.openapi import LIVE_PATHS, LIVE_SCHEMAS
    from gateway.live.routes import routes
    from gateway.openapi import register_paths

    register_paths(LIVE_PATHS, LIVE_SCHEMAS)
    settings = app[SETTINGS]
    ensure_hub(app, database_url(settings), queue_size=settings.live.queue_size)
    app.router.add_routes(routes)
