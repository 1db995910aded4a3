"""HTTP of the portal's refunds (role checked on every request):

    GET  /merchant/refunds[?status=]           the merchant's refunds, newest first
    POST /merchant/invoices/{id}/refunds       owners and managers (Perm.REFUND): amount
                                               (KZT, blank: all refundable), coin, address
                                               (blank: a claim link), rate, reason
The invoice page (routes_pages) shows the invoice's refunds and the form through
`render_invoice`.
"""

from __future__ import annotations

from aiohttp import web

from gateway.errors import ApiError
from gateway.portal import refunds, sales
from gateway.portal.errors import InvalidForm
from gateway.portal.roles import Perm, allows
from gateway.portal.web import Ctx, action, page, redirect, words
from gateway.rates import RATE_BOOK
from gateway.refunds.states import RateKind

routes = web.RouteTableDef()


async def render_invoice(ctx: Ctx, invoice_id: str, *, status: int = 200,
                         error: str | None = None, form: dict[str, str] | None = None
                         ) -> web.Response:
    """The invoice page with its refunds and, for Perm.REFUND, the refund form."""
    async with ctx.pool.acquire() as conn:
        detail = await sales.invoice_detail(conn, ctx.merchant_id, invoice_id)
        lines = await refunds.invoice_refunds(conn, ctx.merchant_id, detail.invoice.id,
                                              ctx.settings.public_url)
    created = ctx.query("refund")
    notice = words(ctx.request)("refund_created") if created and not error else None
    return ctx.render("invoice.html", status=status, d=detail, refunds=lines, error=error,
                      notice=notice, created=created, form=form or {},
                      can_refund=allows(ctx.session.role, Perm.REFUND),
                      rate_kinds=[k.value for k in RateKind])


@routes.get("/merchant/refunds")
@page(Perm.VIEW_SALES)
async def refund_list(ctx: Ctx) -> web.StreamResponse:
    selected = ctx.query("status")
    async with ctx.pool.acquire() as conn:
        lines = await refunds.merchant_refunds(conn, ctx.merchant_id, selected,
                                               ctx.query("after"), ctx.settings.public_url)
    return ctx.render("refunds.html", lines=lines, selected=selected or "",
                      statuses=refunds.STATUSES)


def _form(ctx: Ctx) -> dict[str, str]:
    return {name: ctx.field(name) for name in ("amount", "asset_id", "address", "rate",
                                               "reason")}


@routes.post("/merchant/invoices/{id}/refunds")
@action(Perm.REFUND)
async def refund_create(ctx: Ctx) -> web.StreamResponse:
    invoice_id, fields = ctx.request.match_info["id"], _form(ctx)
    try:
        form = refunds.parse_form(fields["amount"], fields["asset_id"], fields["address"],
                                  fields["rate"] or RateKind.CURRENT.value, fields["reason"])
        async with ctx.pool.acquire() as conn:
            refund = await refunds.create(conn, ctx.request.app[RATE_BOOK], ctx.merchant_id,
                                          ctx.actor, invoice_id, form,
                                          ctx.settings.settlement.refund_auto_approve_max)
    except InvalidForm as exc:
        return await render_invoice(ctx, invoice_id, status=400, error=str(exc), form=fields)
    except ApiError as exc:  # the refund rules' refusal: nothing refundable, too much, ...
        return await render_invoice(ctx, invoice_id, status=exc.status, error=exc.message,
                                    form=fields)
    return redirect(ctx.request, f"/merchant/invoices/{invoice_id}?refund={refund.id}")


def add_routes(app: web.Application) -> None:
    app.router.add_routes(routes)
