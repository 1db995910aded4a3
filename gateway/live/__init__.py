"""Live invoice status: a LISTEN/NOTIFY hub per process and Server-Sent Event streams."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    from gateway.live.hub import ensure_hub
    from gateway.live.routes import routes

    ensure_hub(app)
    app.router.add_routes(routes)
