"""Transport security for every response: behind https (GATEWAY_PUBLIC_URL is https, as
production requires), browsers are told to use https only (HSTS), for the API, the checkout
pages and the console alike. The console's and the portal's cookies are `Secure` on the same
condition (gateway.http.browser)."""

from __future__ import annotations

from typing import Final

from aiohttp import web

HSTS: Final = "max-age=31536000"


async def _strict_transport(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Strict-Transport-Security"] = HSTS


def setup_transport_security(app: web.Application, public_url: str) -> None:
    if public_url.lower().startswith("https://"):
        app.on_response_prepare.append(_strict_transport)
