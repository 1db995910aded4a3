"""The Refunds page: the zone's queue of refunds (filter by status), approve or reject those
waiting for approval, the offline signing hand-off, the transaction and its status; and the
invoice page's "Refund" button (a claim link for the invoice's refundable amount).

    GET  /admin/refunds[?status=&after=]              the queue, newest first
    GET  /admin/refunds/{id}                          one refund (claim link, tx, hand-off)
    POST /admin/refunds/{id}/approve|reject           admins; audit-logged
    POST /admin/refunds/{id}/signed                   admins: the offline signer's bytes
    POST /admin/invoices/{id}/refund                  admins: refund everything refundable
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlencode

from aiohttp import web

from gateway.admin.console import service
from gateway.admin.console.web import Ctx, mapped, reader, redirect, writer
from gateway.admin.errors import ActionRefused, InvalidForm, PageNotFound
from gateway.errors import ApiError, NotFound
from gateway.rates import RATE_BOOK
from gateway.refunds.errors import RefundError
from gateway.refunds.sending.wiring import open_networks

REFUSALS: Final = ((NotFound, PageNotFound), ((ApiError, RefundError), ActionRefused))
NOTICES: Final = {"approved": "Approved: the refund is being sent.",
                  "rejected": "Rejected: the refund is cancelled and nothing was sent.",
                  "created": "Refund created: give the shopper the claim link below.",
                  "signed": "Signed transaction received: the sender broadcasts it."}
FILTERS: Final = ("status",)


@reader
async def refund_list(ctx: Ctx) -> web.StreamResponse:
    kept = {k: v for k in FILTERS if (v := ctx.query(k))}
    async with ctx.pool.acquire() as conn:
        lines, cursor = await service.refund_queue(conn, ctx.settings, status=kept.get("status"),
                                                   after=ctx.query("after"))
    next_url = f"/admin/refunds?{urlencode({**kept, 'after': cursor})}" if cursor else None
    return ctx.render("refunds.html", lines=lines, kept=kept, next_url=next_url,
                      statuses=service.REFUND_STATUSES,
                      notice=NOTICES.get(ctx.query("done") or ""))


@reader
async def refund_detail(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        line = await service.refund_line(conn, ctx.settings, ctx.request.match_info["refund_id"])
        async with open_networks(ctx.settings) as chains:
            handoff = await service.signing_handoff(conn, line.refund, chains)
    return ctx.render("refund.html", line=line, handoff=handoff,
                      notice=NOTICES.get(ctx.query("done") or ""))


async def _decide(ctx: Ctx, approve: bool) -> web.StreamResponse:
    with mapped(*REFUSALS):
        async with ctx.pool.acquire() as conn:
            await service.decide_refund(conn, ctx.settings, ctx.actor,
                                        ctx.request.match_info["refund_id"], approve,
                                        ctx.optional("reason"))
    return redirect(ctx.request, f"/admin/refunds?done={'approved' if approve else 'rejected'}")


@writer
async def refund_approve(ctx: Ctx) -> web.StreamResponse:
    return await _decide(ctx, True)


@writer
async def refund_reject(ctx: Ctx) -> web.StreamResponse:
    return await _decide(ctx, False)


@writer
async def refund_signed(ctx: Ctx) -> web.StreamResponse:
    refund_id = ctx.request.match_info["refund_id"]
    signed = "".join(ctx.field("signed").split())  # pasted text may wrap
    if not signed:
        raise InvalidForm("signed", "paste the signed transaction")
    with mapped(*REFUSALS):
        async with ctx.pool.acquire() as conn, open_networks(ctx.settings) as chains:
            await service.submit_signed(conn, ctx.actor, refund_id, signed, chains)
    return redirect(ctx.request, f"/admin/refunds/{refund_id}?done=signed")


@writer
async def invoice_refund(ctx: Ctx) -> web.StreamResponse:
    with mapped(*REFUSALS):
        async with ctx.pool.acquire() as conn:
            refund = await service.refund_invoice(
                conn, ctx.settings, ctx.request.app[RATE_BOOK], ctx.actor,
                ctx.request.match_info["invoice_id"],
                ctx.settings.settlement.refund_auto_approve_max)
    return redirect(ctx.request, f"/admin/refunds/{refund.id}?done=created")


ROUTES = [
    web.get("/admin/refunds", refund_list),
    web.get("/admin/refunds/{refund_id}", refund_detail),
    web.post("/admin/refunds/{refund_id}/approve", refund_approve),
    web.post("/admin/refunds/{refund_id}/reject", refund_reject),
    web.post("/admin/refunds/{refund_id}/signed", refund_signed),
    web.post("/admin/invoices/{invoice_id}/refund", invoice_refund),
]
