"""The Approvals page: pending four-eyes requests, approved or rejected by a second admin."""

from __future__ import annotations

from typing import Final
from urllib.parse import urlencode

from aiohttp import web

from gateway.admin.approvals import service as approvals
from gateway.admin.console.web import Ctx, mapped, reader, redirect, writer
from gateway.admin.errors import ActionRefused, PageNotFound
from settlement.batches.errors import BatchNotFound
from settlement.errors import LedgerError, MoneyError, SettlementError

# The approved change is checked again when it runs: its refusal (the batch was exported
# meanwhile, ...) is shown, and the request stays pending.
REFUSALS: Final = ((BatchNotFound, PageNotFound),
                   ((SettlementError, LedgerError, MoneyError), ActionRefused))
NOTICES: Final = {"approved": "Approved: the change is done.",
                  "rejected": "Rejected: nothing was changed."}


@reader
async def approval_list(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        found = await approvals.list_approvals(conn)
    return ctx.render("approvals.html", approvals=found, describe=approvals.describe,
                      notice=NOTICES.get(ctx.query("done") or ""))


@writer
async def approval_approve(ctx: Ctx) -> web.StreamResponse:
    with mapped(*REFUSALS):
        async with ctx.pool.acquire() as conn:
            done = await approvals.approve(conn, ctx.actor, ctx.settings,
                                           ctx.request.match_info["approval_id"])
    if done.kind is approvals.Kind.EXPORT:  # straight to the file's download link
        return redirect(ctx.request,
                        f"/admin/batches?{urlencode({'file': done.result['file_id']})}")
    return redirect(ctx.request, "/admin/approvals?done=approved")


@writer
async def approval_reject(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        await approvals.reject(conn, ctx.actor, ctx.request.match_info["approval_id"],
                               ctx.optional("reason"))
    return redirect(ctx.request, "/admin/approvals?done=rejected")


ROUTES = [
    web.get("/admin/approvals", approval_list),
    web.post("/admin/approvals/{approval_id}/approve", approval_approve),
    web.post("/admin/approvals/{approval_id}/reject", approval_reject),
]
