"""Admin HTTP API for settlement under /admin/api/: the console's administrators with their
API tokens or sessions (gateway.admin.api_access); changes need `operator` or `admin`.
Exporting a payout file and marking a batch paid answer 202 with a pending approval
(routes_approvals): a second administrator approves before anything changes.

Reports answer JSON by default, `?format=csv` or `?format=pdf` (PDFs are rendered in a worker
thread, off the event loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from aiohttp import web

from gateway.admin.api_access import api_caller
from gateway.admin.approvals import service as approvals
from gateway.admin.settlement import service
from gateway.admin.settlement.routes_approvals import add_routes as add_approval_routes
from gateway.admin.settlement.routes_approvals import mapped as approval_errors
from gateway.appkeys import DB_POOL, SETTINGS
from gateway.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    Unprocessable,
)
from gateway.http.download import content_disposition
from gateway.http.json import read_json_object
from gateway.merchants.errors import MerchantNotFound
from gateway.merchants.service import get_merchant
from settlement.batches import service as batches
from settlement.batches.errors import BatchNotFound, BusinessDayNotOver, IllegalBatchTransition
from settlement.batches.states import BatchStatus
from settlement.errors import LedgerError, MoneyError, SettlementError
from settlement.payouts.errors import PayoutFileNotFound
from settlement.payouts.service import ExportRequest
from settlement.reconciliation.errors import (
    AlreadyResolved,
    RunNotFound,
    UnknownInvoice,
    UnknownPayment,
)
from settlement.reports import render
from settlement.reports.service import statement, zone_summary

routes = web.RouteTableDef()
PREFIX = "/admin/api"


@contextmanager
def _mapped() -> Iterator[None]:
    """Settlement refusals as API errors in the one error shape."""
    try:
        yield
    except (BatchNotFound, RunNotFound, UnknownPayment, UnknownInvoice,
            MerchantNotFound, PayoutFileNotFound) as exc:
        raise NotFound(str(exc)) from exc
    except (IllegalBatchTransition, AlreadyResolved, BusinessDayNotOver) as exc:
        raise Conflict(str(exc)) from exc
    except (SettlementError, LedgerError, MoneyError) as exc:
        raise Unprocessable(str(exc)) from exc


def _date(request: web.Request, name: str, *, required: bool = False) -> date | None:
    raw = request.query.get(name)
    if raw is None:
        if required:
            raise InvalidRequest(f"{name} is required (YYYY-MM-DD)", param=name)
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidRequest(f"{name} must be YYYY-MM-DD", param=name) from exc


def _instant(request: web.Request, name: str) -> datetime:
    raw = request.query.get(name, "")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidRequest(f"{name} must be an ISO 8601 timestamp with offset",
                             param=name) from exc
    if value.tzinfo is None:
        raise InvalidRequest(f"{name} needs a UTC offset", param=name)
    return value


async def _table_response(request: web.Request, table: render.ReportTable,
                          body: Any) -> web.StreamResponse:
    fmt = request.query.get("format", "json")
    if fmt == "json":
        return web.json_response(body)
    if fmt == "csv":
        return web.Response(text=render.to_csv(table), content_type="text/csv")
    if fmt == "pdf":
        pdf = await asyncio.to_thread(render.to_pdf, table)
        return web.Response(body=pdf, content_type="application/pdf")
    raise InvalidRequest("format must be json, csv or pdf", param="format")


async def _body(request: web.Request) -> dict[str, Any]:
    return await read_json_object(request, max_bytes=request.app[SETTINGS].max_body_bytes)


@routes.get(f"{PREFIX}/batches")
async def list_batches(request: web.Request) -> web.StreamResponse:
    await api_caller(request, change=False)
    status = request.query.get("status")
    if status is not None and status not in {s.value for s in BatchStatus}:
        raise InvalidRequest("unknown status", param="status")
    async with request.app[DB_POOL].acquire() as conn:
        found = await batches.list_batches(
            conn, status=BatchStatus(status) if status else None,
            day_from=_date(request, "day_from"), day_to=_date(request, "day_to"),
            merchant_id=request.query.get("merchant_id"))
    table = render.batches_table(found, "Settlement batches")
    return await _table_response(request, table, {"data": [b.as_json() for b in found]})


@routes.post(f"{PREFIX}/batches/close")
async def close_day(request: web.Request) -> web.Response:
    caller = await api_caller(request, change=True)
    raw = (await _body(request)).get("day")
    day = date.fromisoformat(raw) if isinstance(raw, str) else None
    with _mapped():
        async with request.app[DB_POOL].acquire() as conn:
            result = await service.close_day(conn, caller.actor, request.app[SETTINGS], day)
    return web.json_response({"business_day": result.business_day.isoformat(),
                              "closed": [b.as_json() for b in result.closed],
                              "carried_forward": [b.as_json() for b in result.carried_forward]})


@routes.post(f"{PREFIX}/batches/export")
async def export(request: web.Request) -> web.Response:
    caller = await api_caller(request, change=True)
    body = await _body(request)
    ids, raw_day = body.get("batch_ids"), body.get("day")
    if ids is not None and not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
        raise InvalidRequest("batch_ids must be a list of batch ids", param="batch_ids")
    day = date.fromisoformat(raw_day) if isinstance(raw_day, str) else None
    with approval_errors():
        async with request.app[DB_POOL].acquire() as conn:
            pending = await approvals.request_export(conn, caller.actor,
                                                     ExportRequest(batch_ids=ids, up_to_day=day))
    if pending is None:
        return web.json_response({"exported": 0})
    # Four eyes: nothing is exported until a second administrator approves the request.
    return web.json_response({"approval": pending.as_json()}, status=202)


@routes.get(PREFIX + "/payout-files/{file_id}")
async def payout_file(request: web.Request) -> web.Response:
    caller = await api_caller(request, change=False)
    with _mapped():
        async with request.app[DB_POOL].acquire() as conn:
            found = await service.payout_file(conn, caller.actor, request.match_info["file_id"])
    return web.Response(body=found.document, content_type="application/xml", headers={
        "Content-Disposition": content_disposition(found.file_name())})


@routes.post(PREFIX + "/batches/{batch_id}/{outcome:paid|failed}")
async def mark(request: web.Request) -> web.Response:
    caller = await api_caller(request, change=True)
    body = await _body(request)
    reference, reason = body.get("bank_reference"), body.get("reason")
    if not isinstance(reference, str):
        raise InvalidRequest("bank_reference is required", param="bank_reference")
    batch_id, outcome = request.match_info["batch_id"], request.match_info["outcome"]
    if outcome == "paid":  # four eyes: booked when a second administrator approves
        with approval_errors():
            async with request.app[DB_POOL].acquire() as conn:
                pending = await approvals.request_mark_paid(conn, caller.actor, batch_id,
                                                            reference)
        return web.json_response({"approval": pending.as_json()}, status=202)
    with _mapped():
        async with request.app[DB_POOL].acquire() as conn:
            done = await service.mark(conn, caller.actor, batch_id, outcome, reference,
                                      reason if isinstance(reason, str) else None)
    return web.json_response(done.as_json())


@routes.get(f"{PREFIX}/reports/statement")
async def merchant_statement(request: web.Request) -> web.StreamResponse:
    await api_caller(request, change=False)
    merchant_id = request.query.get("merchant_id")
    if not merchant_id:
        raise InvalidRequest("merchant_id is required", param="merchant_id")
    with _mapped():
        async with request.app[DB_POOL].acquire() as conn:
            await get_merchant(conn, merchant_id)
            found = await statement(conn, merchant_id, _instant(request, "from"),
                                    _instant(request, "to"))
    return await _table_response(request, render.statement_table(found), found.as_json())


@routes.get(f"{PREFIX}/reports/zone-summary")
async def summary(request: web.Request) -> web.StreamResponse:
    await api_caller(request, change=False)
    first = _date(request, "from", required=True) or date.min
    last = _date(request, "to", required=True) or date.min
    with _mapped():
        async with request.app[DB_POOL].acquire() as conn:
            rows = await zone_summary(conn, service.calendar(request.app[SETTINGS]), first, last)
    table = render.summary_table(rows, f"Zone summary {first} .. {last}")
    return await _table_response(request, table, {"data": [r.as_json() for r in rows]})


@routes.post(f"{PREFIX}/reconciliation/runs")
async def reconcile(request: web.Request) -> web.Response:
    caller = await api_caller(request, change=True)
    async with request.app[DB_POOL].acquire() as conn:
        run = await service.run_reconciliation(conn, caller.actor, request.app[SETTINGS])
    return web.json_response(run.as_json(), status=201)


@routes.get(f"{PREFIX}/reconciliation/runs")
async def runs(request: web.Request) -> web.Response:
    await api_caller(request, change=False)
    async with request.app[DB_POOL].acquire() as conn:
        return web.json_response({"data": await service.runs(conn)})


@routes.get(PREFIX + "/reconciliation/runs/{run_id}")
async def run_detail(request: web.Request) -> web.Response:
    await api_caller(request, change=False)
    with _mapped():
        async with request.app[DB_POOL].acquire() as conn:
            return web.json_response(await service.run_detail(conn,
                                                              request.match_info["run_id"]))


@routes.post(PREFIX + "/unmatched-payments/{transfer_id}/{action:assign|refund}")
async def resolve(request: web.Request) -> web.Response:
    caller = await api_caller(request, change=True)
    body = await _body(request)
    invoice_id, note = body.get("invoice_id"), body.get("note")
    with _mapped():
        async with request.app[DB_POOL].acquire() as conn:
            done = await service.resolve_payment(
                conn, caller.actor, request.app[SETTINGS], request.match_info["transfer_id"],
                action=request.match_info["action"],
                invoice_id=invoice_id if isinstance(invoice_id, str) else None,
                note=note if isinstance(note, str) else None)
    return web.json_response(done)


@routes.post(f"{PREFIX}/treasury/conversions")
async def conversion(request: web.Request) -> web.Response:
    caller = await api_caller(request, change=True)
    body = await _body(request)
    try:
        units, kzt = int(str(body["units"])), int(str(body["kzt"]))
        asset = str(body["asset"])
    except (KeyError, ValueError) as exc:
        raise InvalidRequest("asset, units (base units) and kzt (tiyn) are required") from exc
    reference = body.get("reference")
    with _mapped():
        async with request.app[DB_POOL].acquire() as conn:
            done = await service.book_conversion(
                conn, caller.actor, asset=asset, units=units, kzt_received=kzt,
                reference=reference if isinstance(reference, str) else None)
    return web.json_response(service.conversion_json(done), status=201 if done.created else 200)


def add_routes(app: web.Application) -> None:
    app.router.add_routes(routes)
    add_approval_routes(app)
