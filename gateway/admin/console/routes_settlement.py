"""Settlement batches: close a business day, export pain.001, download it, mark paid/failed."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlencode

from aiohttp import web

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
from settlement.batches.errors import BatchNotFound
from settlement.batches.states import BatchStatus
from settlement.errors import LedgerError, MoneyError, SettlementError
from settlement.payouts.service import ExportRequest

FILE_ID: Final = re.compile(r"^pof_[0-9a-f]{20}$")
REFUSALS: Final = ((BatchNotFound, PageNotFound),
                   ((SettlementError, LedgerError, MoneyError), ActionRefused))
NOTICES: Final = {"paid": "Batch marked paid.",
                  "failed": "Batch marked failed: its payout is back on the merchant's payable."}


def _notice(ctx: Ctx) -> str | None:
    done = ctx.query("done") or ""
    if done == "closed":
        day, closed, carried = ctx.query("day") or "", ctx.query("n") or "", ctx.query("c") or ""
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) and closed.isdigit() and carried.isdigit():
            return (f"Business day {day} closed: {closed} batch(es) to pay, "
                    f"{carried} carried forward.")
    if done == "nothing":
        return "Nothing to export: no closed batch was selected."
    return NOTICES.get(done)


@reader
async def batch_list(ctx: Ctx) -> web.StreamResponse:
    filters = settlement_service.BatchFilter(
        status=ctx.query("status"), day_from=parse_day(ctx.query("day_from"), "day_from"),
        day_to=parse_day(ctx.query("day_to"), "day_to"), merchant_id=ctx.query("merchant_id"))
    exported = ctx.query("file")
    async with ctx.pool.acquire() as conn:
        found = await settlement_service.list_batches(conn, filters)
        default_day = await settlement_service.last_closed_day(conn, ctx.settings)
    return ctx.render(
        "batches.html", batches=found, filters=filters,
        statuses=[s.value for s in BatchStatus], default_day=default_day.isoformat(),
        exported_file=exported if exported and FILE_ID.match(exported) else None,
        cutoff=ctx.settings.settlement.cutoff.strftime("%H:%M"),
        zone=ctx.settings.settlement.zone, notice=_notice(ctx))


@operator_writer
async def batch_close(ctx: Ctx) -> web.StreamResponse:
    day = parse_day(ctx.field("day"), "day")
    assert day is not None  # field() refuses a blank day
    with mapped(*REFUSALS):
        async with ctx.pool.acquire() as conn:
            result = await settlement_service.close_day(conn, ctx.actor, ctx.settings, day,
                                                    ctx.optional("merchant_id"))
    query = urlencode({"done": "closed", "day": day.isoformat(), "n": len(result.closed),
                       "c": len(result.carried_forward)})
    return redirect(ctx.request, f"/admin/batches?{query}")


@operator_writer
async def batch_export(ctx: Ctx) -> web.StreamResponse:
    ids = [v for v in ctx.form.getall("batch_id", []) if isinstance(v, str) and v]
    if not ids:
        raise InvalidForm("batch_id", "tick at least one closed batch to export")
    with mapped(*REFUSALS):
        async with ctx.pool.acquire() as conn:
            payout = await settlement_service.export(conn, ctx.actor, ctx.settings,
                                                     ExportRequest(batch_ids=ids))
    if payout is None:
        return redirect(ctx.request, "/admin/batches?done=nothing")
    return redirect(ctx.request, f"/admin/batches?{urlencode({'file': payout.id})}")


@reader
async def payout_download(ctx: Ctx) -> web.StreamResponse:
    file_id = ctx.request.match_info["file_id"]
    if not FILE_ID.match(file_id):
        raise PageNotFound(f"No payout file {file_id}.")
    with mapped((SettlementError, PageNotFound)):
        async with ctx.pool.acquire() as conn:
            found = await settlement_service.payout_file(conn, ctx.actor, file_id)
    return attachment(ctx.request, found.document, "application/xml", found.file_name())


@operator_writer
async def batch_mark(ctx: Ctx) -> web.StreamResponse:
    outcome = ctx.request.match_info["outcome"]
    with mapped(*REFUSALS):
        async with ctx.pool.acquire() as conn:
            await settlement_service.mark(conn, ctx.actor, ctx.request.match_info["batch_id"],
                                      outcome, ctx.field("bank_reference"),
                                      ctx.optional("reason"))
    return redirect(ctx.request, f"/admin/batches?done={outcome}")


ROUTES = [
    web.get("/admin/batches", batch_list),
    web.post("/admin/batches/close", batch_close),
    web.post("/admin/batches/export", batch_export),
    web.post("/admin/batches/{batch_id}/{outcome:paid|failed}", batch_mark),
    web.get("/admin/payout-files/{file_id}", payout_download),
]
