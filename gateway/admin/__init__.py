"""The zone administrator console under /admin: server-rendered pages over the merchants,
invoices, settlement and reconciliation services, with its own users, sessions, CSRF
protection, lockout and an append-only audit log. See docs/user-guide.md (administrators).
"""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Add the /admin console routes (DOMAIN_SETUPS entry)."""
    # Imported here: gateway.config imports this package's settings module, and the routes
    # import gateway.config; a top-level import would be circular.
    from gateway.admin.routes import add_routes

    add_routes(app)
