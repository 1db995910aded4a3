"""`GET /v1/invoices/{id}/events` (API key) and `GET /pay/{id}/events` (public): SSE streams."""

from __future__ import annotations

from aiohttp import web

from gateway.errors import NotFound
from gateway.http.auth import principal
from gateway.http.public_limits import STREAM_SLOTS, client_address
from gateway.live.stream import InvoiceStream
from gateway.merchants.ids import INVOICE_ID

routes = web.RouteTableDef()



def _invoice_id(request: web.Request) -> str:
    invoice_id = request.match_info["id"]
    if not INVOICE_ID.match(invoice_id):
        raise NotFound(f"No such invoice: {invoice_id}", param="id")
    return invoice_id


@routes.get("/v1/invoices/{id}/events")
async def merchant_stream(request: web.Request) -> web.StreamResponse:
    caller = principal(request)
    return await InvoiceStream(request, _invoice_id(request), caller.merchant_id,
                               livemode=caller.livemode).serve()


@routes.get("/pay/{id}/events")
async def public_stream(request: web.Request) -> web.StreamResponse:
    invoice_id = _invoice_id(request)
    with request.app[STREAM_SLOTS].hold(client_address(request)):
        return await InvoiceStream(request, invoice_id, None).serve()
