"""The merchant portal (/merchant) and point of sale (/pos): a merchant's own users with
roles (roles.py), invites, sign-in with lockout and optional TOTP, sessions and CSRF
(service.py, web.py), the merchant audit log, today / invoices / payouts / developers pages
(sales.py), and terminals and charges (pos.py). Server-rendered kk/ru/en pages (i18n.py) that
look like the checkout; no third-party assets. See docs/merchant-guide.md.
"""

from __future__ import annotations

from aiohttp import web

from gateway.portal import routes, routes_pages, routes_pos, routes_refunds, routes_webhooks


def setup(app: web.Application) -> None:
    """Add the /merchant and /pos routes."""
    routes.add_routes(app)
    routes_pages.add_routes(app)
    routes_pos.add_routes(app)
    routes_refunds.add_routes(app)
    routes_webhooks.add_routes(app)
