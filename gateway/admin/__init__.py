"""Zone administration under /admin: one package for the zone administrators.

- `auth`, `audit`, `queries`: administrators, their sessions and the append-only audit log.
- `console/`: the server-rendered console pages (merchants, invoices, settlement, reports).
- `settlement/`: settlement operations (batches, payouts, reconciliation with chain
  balances) and their JSON API under /admin/api and CLI commands.
- `refunds_api`, `owner_invites_api`: refund decisions and merchant owners' portal invites
  over the same JSON API.
- `cli`: `python -m gateway admin ...` (accounts).
See docs/user-guide.md (administrators) and docs/settlement.md.
"""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Add the /admin/api JSON routes and the /admin console routes (DOMAIN_SETUPS entry)."""
    # Imported here: gateway.config imports this package's settings module, and the routes
    # import gateway.config; a top-level import would be circular.
    from gateway.admin.console.routes import add_routes as add_console_routes
    from gateway.admin.exceptions.routes import add_routes as add_exception_routes
    from gateway.admin.owner_invites_api import add_routes as add_invite_routes
    from gateway.admin.refunds_api import add_routes as add_refund_routes
    from gateway.admin.settlement.routes import add_routes as add_api_routes

    add_api_routes(app)
    add_exception_routes(app)
    add_refund_routes(app)
    add_invite_routes(app)
    add_console_routes(app)
