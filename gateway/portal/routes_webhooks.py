"""HTTP of the developers page's webhook endpoints (owner and manager: Perm.DEVELOPERS, checked
on the server with the session's CSRF token, like every portal form):

    POST /merchant/developers/webhooks                      add, live or test (mode=test);
                                                            the secret is shown once
    POST /merchant/developers/webhooks/{id}/disable|enable
    POST /merchant/developers/webhooks/{id}/delete
"""

from __future__ import annotations

from aiohttp import web

from gateway.portal import webhook_endpoints
from gateway.portal.errors import InvalidForm
from gateway.portal.roles import Perm
from gateway.portal.routes_pages import developers_page
from gateway.portal.web import Ctx, action, redirect

routes = web.RouteTableDef()


def _form(ctx: Ctx) -> webhook_endpoints.EndpointForm:
    events = [e for e in ctx.form.getall("event", []) if isinstance(e, str)]
    return webhook_endpoints.EndpointForm(ctx.field("url"), events, ctx.field("description"),
                                          livemode=ctx.field("mode") != "test")


@routes.post("/merchant/developers/webhooks")
@action(Perm.DEVELOPERS)
async def add_endpoint(ctx: Ctx) -> web.StreamResponse:
    """The one answer that shows the signing secret: rendered, never redirected to, so the
    secret is in no URL or history entry (and, like every portal page, not cached)."""
    form = _form(ctx)
    try:
        async with ctx.pool.acquire() as conn:
            endpoint = await webhook_endpoints.create(conn, ctx.merchant_id, form,
                                                      ctx.settings, ctx.actor)
    except InvalidForm as exc:
        return await developers_page(ctx, status=400, error=str(exc), typed=form)
    return await developers_page(ctx, new_endpoint=endpoint)


@routes.post("/merchant/developers/webhooks/{id}/{change:(disable|enable)}")
@action(Perm.DEVELOPERS)
async def toggle_endpoint(ctx: Ctx) -> web.StreamResponse:
    enabled = ctx.request.match_info["change"] == "enable"
    async with ctx.pool.acquire() as conn:
        await webhook_endpoints.set_enabled(conn, ctx.merchant_id, ctx.request.match_info["id"],
                                            enabled, ctx.actor)
    return redirect(ctx.request, "/merchant/developers")


@routes.post("/merchant/developers/webhooks/{id}/delete")
@action(Perm.DEVELOPERS)
async def delete_endpoint(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        await webhook_endpoints.delete(conn, ctx.merchant_id, ctx.request.match_info["id"],
                                       ctx.actor)
    return redirect(ctx.request, "/merchant/developers")


def add_routes(app: web.Application) -> None:
    app.router.add_routes(routes)
