"""HTTP of the portal's pages for one merchant (role checked on every request):

    GET  /merchant                      today (sales, pending, stranded, next payout)
    GET  /merchant/invoices[?q=&status=]  search;  GET /merchant/invoices/{id}  detail
    GET  /merchant/payouts              settlement batches and payout status
    GET  /merchant/payouts[?from=&to=]  statement of a period (Almaty days) and batches
    GET  /merchant/payouts/statement.csv|pdf?from=&to=   the operator's statement as a file
    GET  /merchant/developers           API keys, webhook endpoints, OpenAPI link
                                        (endpoint changes: routes_webhooks.py)
    POST /merchant/developers/keys      create (the secret is shown once)
    POST /merchant/developers/keys/{id}/revoke
    POST /merchant/developers/events/{id}/redeliver   queue an event's webhook again
    GET  /merchant/terminals            POS terminals and items;  POST /merchant/terminals
    POST /merchant/items, /merchant/items/{id}/archive   the item list of the tills
    GET/POST /merchant/settings         invoice terms and redirect domains (SETTINGS)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from gateway.checkout.formatting import format_kzt
from gateway.events.outbox import EVENT_TYPES
from gateway.invoices.routes import LIMITS
from gateway.portal import pos, sales, settings_page
from gateway.portal.errors import InvalidForm
from gateway.portal.roles import Perm, Role
from gateway.portal.routes_refunds import render_invoice
from gateway.portal.web import Ctx, action, page, redirect, secure_headers, words
from settlement.reports.render import readable_rows

routes = web.RouteTableDef()


@routes.get("/merchant")
@page(None)
async def today(ctx: Ctx) -> web.StreamResponse:
    if ctx.session.role is Role.CASHIER:
        return redirect(ctx.request, "/pos")
    async with ctx.pool.acquire() as conn:
        figures = await sales.today(conn, ctx.merchant_id, datetime.now(UTC))
    return ctx.render("today.html", today=figures)


@routes.get("/merchant/invoices")
@page(Perm.VIEW_SALES)
async def invoices(ctx: Ctx) -> web.StreamResponse:
    text, status = ctx.query("q"), ctx.query("status")
    async with ctx.pool.acquire() as conn:
        rows = await sales.search(conn, ctx.merchant_id, text, status)
    return ctx.render("invoices.html", rows=rows, q=text or "", selected=status or "",
                      statuses=("new", "processing", "settled", "expired", "invalid",
                                "cancelled"))


@routes.get("/merchant/invoices/{id}")
@page(Perm.VIEW_SALES)
async def invoice(ctx: Ctx) -> web.StreamResponse:
    return await render_invoice(ctx, ctx.request.match_info["id"])


@routes.get("/merchant/payouts")
@page(Perm.VIEW_MONEY)
async def payouts(ctx: Ctx) -> web.StreamResponse:
    first, last = sales.parse_period(ctx.query("from"), ctx.query("to"), datetime.now(UTC))
    async with ctx.pool.acquire() as conn:
        batches = await sales.batches(conn, ctx.merchant_id)
        table = await sales.statement(conn, ctx.merchant_id, first, last)
    decimal = words(ctx.request).decimal_separator
    return ctx.render("payouts.html", batches=batches, first=first, last=last, table=table,
                      rows=readable_rows(table, lambda tiyn: format_kzt(tiyn, decimal)))


@routes.get("/merchant/payouts/statement.{fmt:(csv|pdf)}")
@page(Perm.VIEW_MONEY)
async def statement(ctx: Ctx) -> web.StreamResponse:
    first, last = sales.parse_period(ctx.query("from"), ctx.query("to"), datetime.now(UTC))
    fmt = ctx.request.match_info["fmt"]
    async with ctx.pool.acquire() as conn:
        body, content_type = await sales.statement_file(conn, ctx.merchant_id, first, last, fmt)
    response = web.Response(body=body, content_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="statement-{first}-{last}.{fmt}"'})
    secure_headers(ctx.request, response)
    return response


async def developers_page(ctx: Ctx, *, status: int = 200, **shown: Any) -> web.Response:
    """The developers page; `shown`: a new key or endpoint (its secret shown this once), or a
    form error with the values typed."""
    async with ctx.pool.acquire() as conn:
        view = await sales.developer_view(conn, ctx.merchant_id)
    return ctx.render("developers.html", status=status, keys=view.keys,
                      endpoints=view.endpoints, deliveries=view.deliveries,
                      event_types=EVENT_TYPES, **{"new_key": None, "new_endpoint": None,
                                                  "typed": None, **shown})


@routes.get("/merchant/developers")
@page(Perm.DEVELOPERS)
async def developers(ctx: Ctx) -> web.StreamResponse:
    return await developers_page(ctx)


@routes.post("/merchant/developers/keys")
@action(Perm.DEVELOPERS)
async def create_key(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        issued = await sales.create_key(conn, ctx.merchant_id, ctx.settings.api_key_pepper,
                                        ctx.actor, livemode=ctx.field("mode") != "test")
    return await developers_page(ctx, new_key=issued)


@routes.post("/merchant/developers/keys/{id}/revoke")
@action(Perm.DEVELOPERS)
async def revoke_key(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        await sales.revoke_key(conn, ctx.merchant_id, ctx.request.match_info["id"], ctx.actor)
    return redirect(ctx.request, "/merchant/developers")


@routes.post("/merchant/developers/events/{id}/redeliver")
@action(Perm.DEVELOPERS)
async def redeliver(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        await sales.redeliver(conn, ctx.merchant_id, ctx.request.match_info["id"], ctx.actor)
    return redirect(ctx.request, "/merchant/developers")


@routes.get("/merchant/terminals")
@page(Perm.SETTINGS)
async def terminals(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        rows = await pos.terminals(conn, ctx.merchant_id)
        on_sale = await pos.items(conn, ctx.merchant_id)
    return ctx.render("terminals.html", terminals=rows, items=on_sale)


@routes.post("/merchant/terminals")
@action(Perm.SETTINGS)
async def add_terminal(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        await pos.create_terminal(conn, ctx.session, ctx.field("name"), ctx.request.remote)
    return redirect(ctx.request, "/merchant/terminals")


@routes.post("/merchant/items")
@action(Perm.SETTINGS)
async def add_item(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        await pos.create_item(conn, ctx.session, ctx.field("name"), ctx.field("price"),
                              ctx.request.remote)
    return redirect(ctx.request, "/merchant/terminals")


@routes.post("/merchant/items/{id}/archive")
@action(Perm.SETTINGS)
async def archive_item(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        await pos.archive_item(conn, ctx.session, ctx.request.match_info["id"],
                               ctx.request.remote)
    return redirect(ctx.request, "/merchant/terminals")


async def _settings(ctx: Ctx, *, error: str | None = None, status: int = 200,
                    notice: str | None = None) -> web.Response:
    async with ctx.pool.acquire() as conn:
        current = await settings_page.load(conn, ctx.merchant_id)
    return ctx.render("settings.html", s=current, zone_assets=ctx.request.app[LIMITS].assets,
                      error=error, notice=notice, status=status)


@routes.get("/merchant/settings")
@page(Perm.SETTINGS)
async def settings(ctx: Ctx) -> web.StreamResponse:
    return await _settings(ctx)


@routes.post("/merchant/settings")
@action(Perm.SETTINGS)
async def save_settings(ctx: Ctx) -> web.StreamResponse:
    assets = [a for a in ctx.form.getall("asset", []) if isinstance(a, str)]
    try:
        new = settings_page.parse_form(assets, ctx.field("expires_min"),
                                       ctx.field("tolerance_bps"), ctx.field("tolerance_kzt"),
                                       ctx.field("late_min"), ctx.field("redirect_domains"))
        async with ctx.pool.acquire() as conn:
            await settings_page.save(conn, ctx.merchant_id, new, ctx.request.app[LIMITS],
                                     ctx.actor)
    except InvalidForm as exc:
        return await _settings(ctx, error=str(exc), status=400)
    return await _settings(ctx, notice=words(ctx.request)("saved"))


def add_routes(app: web.Application) -> None:
    app.router.add_routes(routes)
