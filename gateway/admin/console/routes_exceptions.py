"""The exceptions queue page: every amount not part of a sale, with its age, paged and
filtered; accept (book a stranded payment as the sale), assign (a payment no sale took, to
an invoice), set aside for refund, or acknowledge (a vanished transfer, a reconciliation
difference)."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from gateway.admin.console.web import Ctx, mapped, operator_writer, reader, redirect
from gateway.admin.errors import ActionRefused, InvalidForm, PageNotFound
from gateway.admin.exceptions import service
from gateway.errors import Conflict, InvalidRequest, NotFound

FILTERS = ("kind", "chain", "asset", "invoice", "decided")
PAGE = 100
NOTICES = {"accept": "Accepted: the payment is booked as the invoice's sale (marked).",
           "refund": "Set aside for refund to the sender.",
           "assign": "Payment assigned to the invoice.",
           "acknowledge": "Acknowledged: recorded, and no longer an open difference."}


def _filters(ctx: Ctx) -> service.Filters:
    decided = ctx.query("decided")
    return service.Filters(kind=ctx.query("kind"), chain=ctx.query("chain"),
                           asset=ctx.query("asset"), invoice_id=ctx.query("invoice"),
                           decided=None if decided in (None, "") else decided == "true")


@reader
async def exception_list(ctx: Ctx) -> web.StreamResponse:
    with mapped((InvalidRequest, InvalidForm)):
        async with ctx.pool.acquire() as conn:
            found = await service.page(conn, ctx.settings.settlement.dust_floors,
                                       _filters(ctx), ctx.query("after"), PAGE)
    kept = {k: v for k in FILTERS if (v := ctx.query(k))}
    next_url = ("/admin/exceptions?" + urlencode({**kept, "after": found.next_cursor})
                if found.next_cursor else None)
    return ctx.render("exceptions.html", items=found.items, next_url=next_url, kept=kept,
                      kinds=service.KINDS, notice=NOTICES.get(ctx.query("done") or ""))


@operator_writer
async def exception_decide(ctx: Ctx) -> web.StreamResponse:
    action = ctx.request.match_info["action"]
    with mapped((NotFound, PageNotFound), ((Conflict, InvalidRequest), ActionRefused)):
        async with ctx.pool.acquire() as conn:
            await service.decide(conn, ctx.actor, ctx.request.match_info["key"], action,
                                 ctx.optional("note"), invoice_id=ctx.optional("invoice_id"),
                                 public_url=ctx.settings.public_url)
    return redirect(ctx.request, f"/admin/exceptions?done={action}")


ROUTES = [
    web.get("/admin/exceptions", exception_list),
    web.post("/admin/exceptions/{key}/{action:accept|assign|refund|acknowledge}", exception_decide),
]
