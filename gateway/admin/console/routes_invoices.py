"""Invoice search and detail; the old unmatched-payments page's address, which now leads to
the exceptions queue (gateway.admin.console.routes_exceptions: assign, refund, ...)."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from gateway.admin.console import service
from gateway.admin.console.web import Ctx, parse_day, reader
from gateway.admin.settlement import service as settlement_service
from gateway.invoices.states import InvoiceStatus

SEARCH_FIELDS = ("invoice_id", "order_id", "status", "merchant_id", "from", "to")


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


async def unmatched_moved(request: web.Request) -> web.StreamResponse:
    """The unmatched-payments page is part of the exceptions queue now: undecided items, or
    every item for the old `?all=1`."""
    every = request.query.get("all") == "1"
    raise web.HTTPFound("/admin/exceptions" if every else "/admin/exceptions?decided=false")


ROUTES = [
    web.get("/admin/invoices", invoice_list),
    web.get("/admin/invoices/{invoice_id}", invoice_detail),
    web.get("/admin/unmatched", unmatched_moved),
]
