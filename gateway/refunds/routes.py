"""HTTP of refunds (the merchant API): `POST /v1/invoices/{id}/refunds`, `GET /v1/refunds/{id}`,
`GET /v1/refunds` and `POST /v1/refunds/{id}/cancel`.

Authentication, rate limiting, `Idempotency-Key` and the POST transaction come from the /v1
middleware chain (gateway.http.api), as for invoices: the same key returns the same refund.
Body of the create: `{amount?: tiyn, asset_id?, address?, rate?: "locked"|"current",
reason?}`; every refusal names its param in the one error shape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from gateway.appkeys import DB_POOL, SETTINGS
from gateway.errors import InvalidRequest, NotFound
from gateway.http.auth import principal
from gateway.http.idempotency import JSON_CONTENT_TYPE, json_body, tx_conn
from gateway.http.pagination import envelope, parse_page
from gateway.invoices.errors import UnknownAsset
from gateway.invoices.params import reject_unknown
from gateway.invoices.routes import invoice_id_param
from gateway.invoices.serializers import dumps
from gateway.openapi import register_paths
from gateway.rates import RATE_BOOK
from gateway.refunds import service
from gateway.refunds.models import Refund, refund_object
from gateway.refunds.openapi import MAX_ADDRESS, MAX_AMOUNT, MAX_REASON, PATHS, SCHEMAS
from gateway.refunds.states import RateKind, RefundStatus
from settlement.assets import ASSETS

FIELDS = frozenset({"amount", "asset_id", "address", "rate", "reason"})
LIST_PARAMS = frozenset({"limit", "starting_after", "invoice", "status"})
REFUND_ID = re.compile(r"^rfd_[A-Za-z0-9]{8,64}$")

routes = web.RouteTableDef()


@dataclass(frozen=True, slots=True)
class CreateRefund:
    amount: int | None
    asset_id: str | None
    address: str | None
    rate_kind: RateKind
    reason: str | None


def _text(body: Mapping[str, Any], param: str, max_len: int) -> str | None:
    value = body.get(param)
    if value is None:
        return None
    if type(value) is not str:  # FloatInBody (a number like 1.5) is a str subclass
        raise InvalidRequest(f"{param} must be a string.", code="invalid_type", param=param)
    if not value or len(value) > max_len or "\x00" in value:
        raise InvalidRequest(f"{param} must be 1..{max_len} characters.",
                             code="parameter_out_of_range", param=param)
    return value


def _amount(body: Mapping[str, Any]) -> int | None:
    value = body.get("amount")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest("amount must be an integer number of tiyn.", code="invalid_type",
                             param="amount")
    if not 1 <= value <= MAX_AMOUNT:
        raise InvalidRequest(f"amount must be between 1 and {MAX_AMOUNT} tiyn.",
                             code="parameter_out_of_range", param="amount")
    return value


def _asset(body: Mapping[str, Any]) -> str | None:
    asset_id = _text(body, "asset_id", 40)
    if asset_id is not None and asset_id not in ASSETS:
        raise UnknownAsset(f"Unknown asset {asset_id!r}; one of {', '.join(ASSETS)}.",
                           param="asset_id")
    return asset_id


def _rate(body: Mapping[str, Any]) -> RateKind:
    value = body.get("rate")
    if value is None:
        return RateKind.CURRENT
    if type(value) is not str or value not in tuple(RateKind):
        raise InvalidRequest("rate must be \"locked\" or \"current\".", code="invalid_request",
                             param="rate")
    return RateKind(value)


def parse_create(body: dict[str, Any]) -> CreateRefund:
    reject_unknown(body, FIELDS)
    return CreateRefund(amount=_amount(body), asset_id=_asset(body),
                        address=_text(body, "address", MAX_ADDRESS), rate_kind=_rate(body),
                        reason=_text(body, "reason", MAX_REASON))


def refund_id_param(request: web.Request) -> str:
    refund_id = request.match_info["id"]
    if not REFUND_ID.match(refund_id):
        raise NotFound(f"No such refund: '{refund_id[:80]}'.", code="resource_missing",
                       param="id")
    return refund_id


def api_object(request: web.Request, refund: Refund) -> dict[str, Any]:
    public_url = request.app[SETTINGS].public_url
    return refund_object(refund, service.claim_url(public_url, refund))


def _json(request: web.Request, refund: Refund) -> web.Response:
    return web.Response(body=dumps(api_object(request, refund)),
                        content_type=JSON_CONTENT_TYPE)


@routes.post("/v1/invoices/{id}/refunds")
async def create(request: web.Request) -> web.Response:
    invoice_id = invoice_id_param(request)
    req = parse_create(json_body(request))
    settings = request.app[SETTINGS]
    refund = await service.create_refund(
        tx_conn(request), request.app[RATE_BOOK], merchant_id=principal(request).merchant_id,
        invoice_id=invoice_id, amount=req.amount, asset_id=req.asset_id, address=req.address,
        rate_kind=req.rate_kind, reason=req.reason,
        auto_approve_max=settings.settlement.refund_auto_approve_max,
        public_url=settings.public_url, livemode=principal(request).livemode)
    return _json(request, refund)


@routes.get("/v1/refunds/{id}")
async def retrieve(request: web.Request) -> web.Response:
    refund_id = refund_id_param(request)
    async with request.app[DB_POOL].acquire() as conn:
        refund = await service.get_refund(conn, merchant_id=principal(request).merchant_id,
                                          refund_id=refund_id,
                                          livemode=principal(request).livemode)
    return _json(request, refund)


def parse_status(query: Mapping[str, str]) -> RefundStatus | None:
    raw = query.get("status")
    if raw is None:
        return None
    try:
        return RefundStatus(raw)
    except ValueError as exc:
        raise InvalidRequest(f"status must be one of {', '.join(RefundStatus)}.",
                             code="invalid_request", param="status") from exc


@routes.get("/v1/refunds")
async def list_(request: web.Request) -> web.Response:
    reject_unknown(dict(request.query), LIST_PARAMS)
    status = parse_status(request.query)
    page = parse_page(request.query)
    async with request.app[DB_POOL].acquire() as conn:
        refunds = await service.list_refunds(
            conn, merchant_id=principal(request).merchant_id,
            invoice_id=request.query.get("invoice") or None, status=status,
            starting_after=page.starting_after, limit=page.fetch,
            livemode=principal(request).livemode)
    items = [api_object(request, refund) for refund in refunds]
    return web.Response(body=dumps(envelope("/v1/refunds", items, page)),
                        content_type=JSON_CONTENT_TYPE)


@routes.post("/v1/refunds/{id}/cancel")
async def cancel(request: web.Request) -> web.Response:
    refund_id = refund_id_param(request)
    reject_unknown(json_body(request), frozenset())
    refund = await service.cancel_refund(tx_conn(request),
                                         merchant_id=principal(request).merchant_id,
                                         refund_id=refund_id,
                                         livemode=principal(request).livemode)
    return _json(request, refund)


def setup(app: web.Application) -> None:
    app.router.add_routes(routes)
    register_paths(PATHS, SCHEMAS)
