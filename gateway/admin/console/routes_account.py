"""The signed-in administrator's own account: optional TOTP two-factor sign-in."""

from __future__ import annotations

import asyncio
from typing import Final

from aiohttp import web
from markupsafe import Markup

from gateway.admin import auth
from gateway.admin.console.web import Ctx, reader, redirect, writer
from gateway.admin.errors import InvalidForm
from gateway.payments.qr import render_svg

NOTICES: Final = {"totp": "Two-factor sign-in is on: sign-ins now need a code."}


async def _page(ctx: Ctx, *, enrolment: auth.TotpEnrolment | None = None,
                error: str | None = None, status: int = 200) -> web.Response:
    async with ctx.pool.acquire() as conn:
        enabled = await auth.totp_enabled(conn, ctx.session.user_id)
    qr = None
    if enrolment is not None:
        svg = (await asyncio.to_thread(render_svg, enrolment.uri)).decode()
        # Inline markup (no data: URL, which the console's CSP refuses), without the XML
        # declaration; qrcode draws only rect and path elements from the URI's bits.
        qr = Markup(svg[svg.index("<svg"):])
    return ctx.render("account.html", status=status, enabled=enabled, enrolment=enrolment,
                      qr=qr, error=error, notice=NOTICES.get(ctx.query("done") or ""))


@reader
async def account(ctx: Ctx) -> web.StreamResponse:
    return await _page(ctx)


async def _totp_start(ctx: Ctx) -> web.StreamResponse:
    """Rendered directly (never a redirect), so the secret is in no URL or log."""
    async with ctx.pool.acquire() as conn:
        enrolment = await auth.start_totp(conn, ctx.session)
    return await _page(ctx, enrolment=enrolment)


async def _totp_confirm(ctx: Ctx) -> web.StreamResponse:
    try:
        async with ctx.pool.acquire() as conn:
            await auth.confirm_totp(conn, ctx.actor, ctx.field("code"))
    except InvalidForm as exc:
        return await _page(ctx, error=str(exc), status=400)
    return redirect(ctx.request, "/admin/account?done=totp")


ROUTES = [
    web.get("/admin/account", account),
    web.post("/admin/account/totp", writer(_totp_start, any_role=True)),
    web.post("/admin/account/totp/confirm", writer(_totp_confirm, any_role=True)),
]
