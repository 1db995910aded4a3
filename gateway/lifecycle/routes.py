"""HTTP of the lifecycle: `POST /v1/invoices/{id}/cancel`, the one status move a merchant
makes itself (the lifecycle is the only writer of invoice status). Authentication,
idempotency and the POST transaction come from the /v1 middleware chain (gateway.http.api).
"""

from __future__ import annotations

from aiohttp import web

from gateway.http.auth import principal
from gateway.http.idempotency import JSON_CONTENT_TYPE, json_body, tx_conn
from gateway.invoices.params import reject_unknown
from gateway.invoices.routes import INVOICE_DEPS, invoice_id_param
from gateway.invoices.serializers import invoice_json
from gateway.lifecycle import service

routes = web.RouteTableDef()


@routes.post("/v1/invoices/{id}/cancel")
async def cancel(request: web.Request) -> web.Response:
    invoice_id = invoice_id_param(request)
    reject_unknown(json_body(request), frozenset())
    caller = principal(request)
    invoice = await service.cancel_invoice(tx_conn(request), caller.merchant_id, invoice_id,
                                           livemode=caller.livemode)
    return web.Response(body=invoice_json(invoice, request.app[INVOICE_DEPS].public_url),
                        content_type=JSON_CONTENT_TYPE)


def setup(app: web.Application) -> None:
    app.router.add_routes(routes)
