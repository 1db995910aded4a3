"""The shopper checkout page: `/pay/{invoice_id}` (see routes.py for the endpoints).

Server-rendered HTML in kk/ru/en (i18n.py), the payment QR inline as SVG (qrsvg.py), a small
script of our own (static/checkout.js) that follows the live status stream of gateway.live,
and strict security headers (headers.py). No framework, no third-party assets.
The refund claim page `/refunds/claim/<token>` (claim/) shares its languages and look.
"""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    from gateway.checkout.claim.routes import setup as setup_claim
    from gateway.checkout.routes import setup as setup_routes

    setup_routes(app)
    setup_claim(app)
