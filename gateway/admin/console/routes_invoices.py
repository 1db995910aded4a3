"""Invoice search and detail; unmatched payments (assign to an invoice / mark for refund)."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from gateway.admin.console import service
from gateway.admin.console.web import Ctx, mapped, operator_writer, parse_day, reader, redirect
from gateway.admin.errors import ActionRefused
from gateway.admin.settlement import service as settlement_service
from gateway.invoices.states import InvoiceStatus
from settlement.reconciliation.errors import ReconciliationError

SEARCH_FIELDS = ("invoice_id", "order_id", "status", "merchant_id", "from", "to")
NOTICES = {"assign": "Payment assigned to the invoice.",
           "refund": "Payment marked for refund to the sender."}


def _search(ctx: Ctx) -> service.InvoiceSearch:
    cal = settlement_service.calendar(ctx.settings)
    first, last = parse_day(ctx.query("from"), "from"), parse_day(ctx.query("to"), "to")
    return service.InvoiceSearch(
        invoice_id=ctx.query("invoice_id"), order_id=ctx.query("order_id"),
        status=ctx.query("status"), merchant_id=ctx.query("merchant_id"),
        created_from=cal.period(first)[0] if first else None,
        created_before=cal.period(last)[1] if last else None,
        after=ctx.query("after"),
    )


@reader
async def invoice_list(ctx: Ctx) -> web.StreamResponse:
    search = _search(ctx)
    async with ctx.pool.acquire() as conn:
        rows, more = await service.search_invoices(conn, search)
    next_url = None
    if more:
        kept = {k: v for k in SEARCH_FIELDS if (v := ctx.query(k))}
        next_url = "/admin/invoices?" + urlencode({**kept, "after": rows[-1]["id"]})
    return ctx.render("invoices.html", invoices=rows, search=search, next_url=next_url,
                      statuses=[s.value for s in InvoiceStatus], day_from=ctx.query("from"),
                      day_to=ctx.query("to"), zone=ctx.settings.settlement.zone)


@reader
async def invoice_detail(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        page = await service.invoice_page(conn, ctx.settings,
                                          ctx.request.match_info["invoice_id"])
    return ctx.render("invoice.html", page=page)


@reader
async def unmatched_list(ctx: Ctx) -> web.StreamResponse:
    include = ctx.query("all") == "1"
    async with ctx.pool.acquire() as conn:
        payments = await service.unmatched_payments(conn, include_resolved=include)
    return ctx.render("unmatched.html", payments=payments, include_resolved=include,
                      notice=NOTICES.get(ctx.query("done") or ""))


@operator_writer
async def unmatched_resolve(ctx: Ctx) -> web.StreamResponse:
    action = ctx.request.match_info["action"]
    invoice_id = ctx.optional("invoice_id") if action == "assign" else None
    with mapped((ReconciliationError, ActionRefused)):
        async with ctx.pool.acquire() as conn:
            await service.resolve_payment(conn, ctx.settings, ctx.actor,
                                          ctx.request.match_info["transfer_id"],
                                          action, invoice_id, ctx.optional("note"))
    return redirect(ctx.request, f"/admin/unmatched?done={action}")


ROUTES = [
    web.get("/admin/invoices", invoice_list),
    web.get("/admin/invoices/{invoice_id}", invoice_detail),
    web.get("/admin/unmatched", unmatched_list),
    web.post("/admin/unmatched/{transfer_id}/{action:assign|refund}", unmatched_resolve),
]
