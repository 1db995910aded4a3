"""`GET /qr/{token}/{asset}.svg|.png`: the QR code of one payment option's URI.

Public (shoppers' phones and checkout pages load it) but unguessable: the token is ~143 random
bits stored per invoice (one per invoice keeps the create path to one unique-index entry).
The image never changes (the URI is locked at creation), so it is cached for a year as
immutable. Rendering happens here, lazily, in a worker thread through the bounded QrCache,
never on the invoice-create path.
"""

from __future__ import annotations

import asyncio
import re

from aiohttp import web

from gateway.appkeys import DB_POOL
from gateway.errors import NotFound
from gateway.invoices import queries as q
from gateway.payments.qr import CONTENT_TYPES, QrCache, QrFormat
from settlement.assets import ASSETS

QR_CACHE = web.AppKey("qr_cache", QrCache)
TOKEN = re.compile(r"^[A-Za-z0-9]{16,64}$")
CACHE_CONTROL = "public, max-age=31536000, immutable"
QR_CACHE_ENTRIES = 2048

routes = web.RouteTableDef()


@routes.get(r"/qr/{token}/{asset}.{fmt:(svg|png)}")
async def qr_image(request: web.Request) -> web.Response:
    token, asset = request.match_info["token"], request.match_info["asset"]
    fmt: QrFormat = "svg" if request.match_info["fmt"] == "svg" else "png"
    if not TOKEN.match(token) or asset not in ASSETS:
        raise NotFound("No such QR code.", code="resource_missing")
    async with request.app[DB_POOL].acquire() as conn:
        uri = await q.select_qr_uri(conn, token, asset)
    if uri is None:
        raise NotFound("No such QR code.", code="resource_missing")
    image = await asyncio.to_thread(request.app[QR_CACHE].get, uri, fmt)
    return web.Response(body=image, content_type=CONTENT_TYPES[fmt],
                        headers={"Cache-Control": CACHE_CONTROL})


def setup(app: web.Application) -> None:
    app[QR_CACHE] = QrCache(QR_CACHE_ENTRIES)
    app.router.add_routes(routes)
