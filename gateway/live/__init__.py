"""Live invoice status: a LISTEN/NOTIFY hub per process and Server-Sent Event streams."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    from gateway.live.hub import ensure_hub
    from gateway.live.routes import routes
    from gateway.openapi import register_paths
    from gateway.webhooks.openapi import LIVE_PATHS, LIVE_SCHEMAS

    register_paths(LIVE_PATHS, LIVE_SCHEMAS)
    ensure_hub(app)
    app.router.add_routes(routes)
