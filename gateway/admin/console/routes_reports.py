"""Reports (zone summary with its chart, merchant statement, CSV/PDF) and reconciliation runs.

PDFs are rendered by reportlab in a worker thread: it is CPU-bound and must not stall the
event loop that serves every other request.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Final
from urllib.parse import urlencode

from aiohttp import web

from gateway.admin.console.chart import volume_chart
from gateway.admin.console.web import (
    Ctx,
    attachment,
    mapped,
    operator_writer,
    parse_day,
    reader,
    redirect,
)
from gateway.admin.errors import ActionRefused, InvalidForm, PageNotFound
from gateway.admin.settlement import service as settlement_service
from gateway.merchants import service as merchants
from gateway.merchants.errors import MerchantNotFound
from settlement.errors import SettlementError
from settlement.reconciliation.errors import RunNotFound
from settlement.reports import render

DEFAULT_DAYS: Final = 7
REFUSALS: Final = ((RunNotFound, PageNotFound), (MerchantNotFound, PageNotFound),
                   (SettlementError, ActionRefused))


async def _period(ctx: Ctx) -> tuple[date, date]:
    """The requested business days, by default the last week up to today's."""
    last = parse_day(ctx.query("to"), "to")
    if last is None:
        async with ctx.pool.acquire() as conn:
            last = await settlement_service.last_closed_day(conn, ctx.settings) + timedelta(days=1)
    first = parse_day(ctx.query("from"), "from") or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidForm("from", "must not be after 'to'")
    return first, last


@reader
async def reports_page(ctx: Ctx) -> web.StreamResponse:
    first, last = await _period(ctx)
    merchant_id = ctx.query("merchant_id")
    period = {"from": first.isoformat(), "to": last.isoformat()}
    statement = None
    with mapped(*REFUSALS):
        async with ctx.pool.acquire() as conn:
            rows = await settlement_service.summary(conn, ctx.settings, first, last)
            if merchant_id:
                statement = await settlement_service.merchant_statement(
                    conn, ctx.settings, merchant_id, first, last)
            listed = await merchants.list_merchants(conn)
    return ctx.render(
        "reports.html", first=first.isoformat(), last=last.isoformat(),
        summary=settlement_service.summary_table(rows, first, last), chart=volume_chart(rows),
        summary_query=urlencode(period), merchants=listed, statement=statement,
        statement_table=settlement_service.statement_table(statement) if statement else None,
        statement_query=urlencode({**period, "merchant_id": merchant_id or ""}))


async def _download(ctx: Ctx, table: render.ReportTable, name: str) -> web.Response:
    if ctx.request.match_info["fmt"] == "csv":
        return attachment(ctx.request, render.to_csv(table).encode(), "text/csv",
                          f"{name}.csv")
    pdf = await asyncio.to_thread(render.to_pdf, table)
    return attachment(ctx.request, pdf, "application/pdf", f"{name}.pdf")


@reader
async def summary_download(ctx: Ctx) -> web.StreamResponse:
    first, last = await _period(ctx)
    with mapped(*REFUSALS):
        async with ctx.pool.acquire() as conn:
            rows = await settlement_service.summary(conn, ctx.settings, first, last)
    return await _download(ctx, settlement_service.summary_table(rows, first, last),
                           f"zone-summary-{first}-{last}")


@reader
async def statement_download(ctx: Ctx) -> web.StreamResponse:
    first, last = await _period(ctx)
    merchant_id = ctx.query("merchant_id")
    if merchant_id is None:
        raise InvalidForm("merchant_id", "is required")
    with mapped(*REFUSALS):
        async with ctx.pool.acquire() as conn:
            found = await settlement_service.merchant_statement(conn, ctx.settings, merchant_id,
                                                            first, last)
    return await _download(ctx, settlement_service.statement_table(found),
                           f"statement-{merchant_id}-{first}-{last}")


@reader
async def runs_page(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        runs = await settlement_service.runs(conn)
    return ctx.render("reconciliation.html", runs=runs)


@operator_writer
async def run_now(ctx: Ctx) -> web.StreamResponse:
    with mapped(*REFUSALS):
        async with ctx.pool.acquire() as conn:
            run = await settlement_service.run_reconciliation(conn, ctx.actor, ctx.settings)
    return redirect(ctx.request, f"/admin/reconciliation/{run.id}")


@reader
async def run_page(ctx: Ctx) -> web.StreamResponse:
    with mapped(*REFUSALS):
        async with ctx.pool.acquire() as conn:
            run = await settlement_service.run_detail(conn, ctx.request.match_info["run_id"])
    return ctx.render("reconciliation_run.html", run=run)


ROUTES = [
    web.get("/admin/reports", reports_page),
    web.get("/admin/reports/zone-summary.{fmt:csv|pdf}", summary_download),
    web.get("/admin/reports/statement.{fmt:csv|pdf}", statement_download),
    web.get("/admin/reconciliation", runs_page),
    web.post("/admin/reconciliation/runs", run_now),
    web.get("/admin/reconciliation/{run_id}", run_page),
]
