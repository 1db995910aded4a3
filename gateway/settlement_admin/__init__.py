"""Settlement administration: the admin HTTP API, CLI commands and chain balance fetchers."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Add the /admin/api/ settlement routes (DOMAIN_SETUPS entry)."""
    # Imported here: gateway.config imports this package's settings module, and the routes
    # import gateway.config; a top-level import would be circular.
    from gateway.settlement_admin.routes import add_routes

    add_routes(app)
