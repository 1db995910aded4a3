"""HTTP of invoices: `POST /v1/invoices`, `GET /v1/invoices`, `GET /v1/invoices/{id}`
(`POST /v1/invoices/{id}/cancel` is the lifecycle's: gateway.lifecycle.routes).
Authentication, rate limiting, idempotency and the POST transaction come from the /v1
middleware chain (gateway.http.api): handlers here never see the Idempotency-Key; POSTs write
on the request's transaction (`tx_conn`) and announce a new invoice after its commit
(`after_commit`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta

from aiohttp import web

from gateway.appkeys import DB_POOL, SETTINGS
from gateway.errors import InvalidRequest, NotFound
from gateway.http.auth import principal
from gateway.http.idempotency import JSON_CONTENT_TYPE, after_commit, json_body, tx_conn
from gateway.http.pagination import envelope, parse_page
from gateway.invoices import service
from gateway.invoices.catalog import Catalog, build_catalog
from gateway.invoices.models import Invoice
from gateway.invoices.params import MAX_UNIX_DIGITS, Limits, parse_create, reject_unknown
from gateway.invoices.quotes import UriTemplates
from gateway.invoices.redirects import check_redirect_url
from gateway.invoices.serializers import dumps, invoice_json, invoice_object
from gateway.invoices.states import InvoiceStatus
from gateway.merchants.ids import INVOICE_ID
from gateway.rates import RATE_BOOK
from gateway.status.routes import STATUS_CACHE

INVOICE_DEPS = web.AppKey("invoice_deps", service.InvoiceDeps)
LIMITS = web.AppKey("invoice_limits", Limits)
CATALOG = web.AppKey("invoice_catalog", Catalog)
LIST_PARAMS = frozenset({"limit", "starting_after", "status", "order_id", "created[gte]",
                         "created[lte]"})

routes = web.RouteTableDef()


def invoice_id_param(request: web.Request) -> str:
    invoice_id = request.match_info["id"]
    if not INVOICE_ID.match(invoice_id):
        raise NotFound(f"No such invoice: '{invoice_id[:80]}'.", code="resource_missing",
                       param="id")
    return invoice_id


def _body(body: bytes) -> web.Response:
    return web.Response(body=body, content_type=JSON_CONTENT_TYPE)


def _json(request: web.Request, invoice: Invoice) -> web.Response:
    return _body(invoice_json(invoice, request.app[INVOICE_DEPS].public_url))


@routes.post("/v1/invoices")
async def create(request: web.Request) -> web.Response:
    limits = request.app[LIMITS].for_merchant(principal(request).invoice_defaults)
    req = parse_create(json_body(request), limits)
    check_redirect_url(req.redirect_url, principal(request).redirect_domains,
                       dev=request.app[SETTINGS].dev)
    created = await service.create_invoice(
        tx_conn(request), request.app[INVOICE_DEPS], principal(request), req
    )
    deps = request.app[INVOICE_DEPS]
    after_commit(request, lambda: service.announce(deps, created))
    return _body(created.body)


@routes.get("/v1/invoices/{id}")
async def retrieve(request: web.Request) -> web.Response:
    invoice_id = invoice_id_param(request)
    async with request.app[DB_POOL].acquire() as conn:
        invoice = await service.get_invoice(conn, principal(request).merchant_id, invoice_id,
                                            livemode=principal(request).livemode)
    return _json(request, invoice)


_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)
_LATEST_SECONDS = (_LATEST - datetime.fromtimestamp(0, UTC)) // timedelta(seconds=1)


def _unix_or_rfc3339(raw: str) -> datetime:
    if raw.isascii() and raw.isdigit():
        if len(raw) > MAX_UNIX_DIGITS:
            raise ValueError(f"more than {MAX_UNIX_DIGITS} digits")
        seconds = int(raw)
        return _LATEST if seconds > _LATEST_SECONDS else datetime.fromtimestamp(seconds, UTC)
    # RFC 3339 allows a lower-case "t" and "z".
    return datetime.fromisoformat(raw.upper().replace("Z", "+00:00"))


def _clamped_utc(moment: datetime) -> datetime:
    # A bound beyond what a datetime holds (year 1 at +01:00 is year 0 in UTC) selects all or
    # nothing, as the nearest instant it can hold does: not an error, and never a 500.
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return _EARLIEST if moment.year == datetime.min.year else _LATEST


def _time(query: Mapping[str, str], name: str) -> datetime | None:
    raw = query.get(name)
    if raw is None:
        return None
    try:
        parsed = _unix_or_rfc3339(raw)
    except ValueError as exc:
        raise InvalidRequest(f"{name} must be unix seconds or an RFC 3339 time.",
                             code="invalid_type", param=name) from exc
    if parsed.tzinfo is None:
        raise InvalidRequest(f"{name} must carry a time zone (e.g. Z).", code="invalid_type",
                             param=name)
    return _clamped_utc(parsed)


def _status(query: Mapping[str, str]) -> InvoiceStatus | None:
    raw = query.get("status")
    if raw is None:
        return None
    try:
        return InvoiceStatus(raw)
    except ValueError as exc:
        raise InvalidRequest(f"status must be one of {', '.join(s.value for s in InvoiceStatus)}.",
                             code="invalid_request", param="status") from exc


def _filters(query: Mapping[str, str]) -> service.ListFilter:
    reject_unknown(dict(query), LIST_PARAMS)
    return service.ListFilter(
        status=_status(query), order_id=query.get("order_id"),
        created_gte=_time(query, "created[gte]"), created_lte=_time(query, "created[lte]"),
    )


@routes.get("/v1/invoices")
async def list_(request: web.Request) -> web.Response:
    filters = _filters(request.query)
    page = parse_page(request.query)
    async with request.app[DB_POOL].acquire() as conn:
        invoices = await service.list_invoices(
            conn, principal(request).merchant_id, filters, page.starting_after, page.fetch,
            livemode=principal(request).livemode,
        )
    public_url = request.app[INVOICE_DEPS].public_url
    items = [invoice_object(invoice, public_url) for invoice in invoices]
    return _body(dumps(envelope("/v1/invoices", items, page)))


async def _deps_ctx(app: web.Application) -> AsyncIterator[None]:
    # The rate book exists only once the rates domain's own context has started.
    settings = app[SETTINGS]
    app[INVOICE_DEPS] = service.InvoiceDeps(
        catalog=app[CATALOG], book=app[RATE_BOOK],
        policy=service.Policy.from_settings(settings), public_url=settings.public_url,
        uris=UriTemplates(app[CATALOG]), chains=app[STATUS_CACHE],
    )
    notices = app[INVOICE_DEPS].notices
    sender = asyncio.create_task(notices.run(app[DB_POOL]), name="invoice-created-notices")
    yield
    sender.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sender
    await notices.flush(app[DB_POOL])  # what the last requests queued


def setup(app: web.Application) -> None:
    settings = app[SETTINGS]
    # Built here so a misconfigured token address fails create_app, not the first request.
    app[CATALOG] = build_catalog(settings)
    app[LIMITS] = Limits.from_settings(settings)
    app.router.add_routes(routes)
    app.cleanup_ctx.append(_deps_ctx)
