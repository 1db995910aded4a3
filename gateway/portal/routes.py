"""HTTP of merchant people: sign-in (password, then the TOTP code when set), sign-out,
accepting an invite, the team page (owner: invite, role, disable), the user's own account
(TOTP on/off), the audit log, and the portal's static files.

    GET/POST /merchant/login            GET/POST /merchant/login/code
    POST     /merchant/logout           GET/POST /merchant/invite/{token}
    GET      /merchant/team             POST /merchant/team/invite
    POST     /merchant/team/{id}/role   POST /merchant/team/{id}/disable|enable
    GET      /merchant/account          POST /merchant/account/totp[/disable]
    GET      /merchant/audit            GET  /merchant/static/{name}
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from gateway.appkeys import DB_POOL
from gateway.auth.tokens import new_token
from gateway.http.csrf import login_token_ok
from gateway.portal import service
from gateway.portal.errors import CsrfRejected, InvalidForm, PortalError, SignInFailed
from gateway.portal.roles import Perm, Role, home_path
from gateway.portal.settings import POLICY
from gateway.portal.web import (
    LOGIN_COOKIE,
    PORTAL_POLICY,
    SESSION_COOKIE,
    STATIC_DIR,
    STATIC_FILES,
    Ctx,
    action,
    clear_cookie,
    current_session,
    error_page,
    page,
    redirect,
    render,
    secure_headers,
    set_cookie,
)

routes = web.RouteTableDef()
CONTENT_TYPES: Final = {".css": "text/css", ".js": "text/javascript"}


def _safe_next(raw: str | None) -> str | None:
    """Only a local path: never an open redirect to another site."""
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return None


def _login_form(request: web.Request, template: str, *, status: int = 200,
                error: str | None = None, **values: Any) -> web.Response:
    token = request.cookies.get(LOGIN_COOKIE) or new_token()
    response = render(request, template, status=status, csrf_token=token, error=error,
                      next=_safe_next(request.query.get("next")) or "", **values)
    set_cookie(request, response, LOGIN_COOKIE, token)
    return response


async def _login_csrf(request: web.Request) -> dict[str, str]:
    form = await request.post()
    if not login_token_ok(request, form, LOGIN_COOKIE):
        raise CsrfRejected("The form's security token is missing or wrong. Reload the page.")
    return {k: v for k, v in form.items() if isinstance(v, str)}


@routes.get("/merchant/login")
async def login_page(request: web.Request) -> web.Response:
    return _login_form(request, "login.html")


def _signed_in(request: web.Request, new: service.NewSession, target: str) -> web.Response:
    response = redirect(request, target)
    set_cookie(request, response, SESSION_COOKIE, new.token)
    clear_cookie(request, response, LOGIN_COOKIE)
    return response


@routes.post("/merchant/login")
async def login(request: web.Request) -> web.Response:
    try:
        form = await _login_csrf(request)
        async with request.app[DB_POOL].acquire() as conn:
            new = await service.sign_in(
                conn, request.app[PORTAL_POLICY], form.get("email", ""),
                form.get("password", ""), client_ip=request.remote,
                user_agent=request.headers.get("User-Agent"))
    except SignInFailed as exc:
        return _login_form(request, "login.html", status=exc.status, error=str(exc))
    except PortalError as exc:
        return error_page(request, exc, None)
    nxt = _safe_next(form.get("next"))
    if new.session.mfa_pending:
        return _signed_in(request, new, "/merchant/login/code" + (f"?next={nxt}" if nxt
                                                                   else ""))
    return _signed_in(request, new, nxt or home_path(new.session.role))


@routes.get("/merchant/login/code")
async def code_page(request: web.Request) -> web.Response:
    try:
        await current_session(request, pending_ok=True)
    except PortalError as exc:
        return error_page(request, exc, None)
    return _login_form(request, "code.html")


@routes.post("/merchant/login/code")
async def code(request: web.Request) -> web.Response:
    try:
        form = await _login_csrf(request)
        pending = await current_session(request, pending_ok=True)
        async with request.app[DB_POOL].acquire() as conn:
            new = await service.verify_code(
                conn, request.app[PORTAL_POLICY], pending,
                request.cookies.get(SESSION_COOKIE, ""), form.get("code", ""),
                client_ip=request.remote, user_agent=request.headers.get("User-Agent"))
    except SignInFailed as exc:
        return _login_form(request, "code.html", status=exc.status, error=str(exc))
    except PortalError as exc:
        return error_page(request, exc, None)
    return _signed_in(request, new, _safe_next(form.get("next")) or home_path(new.session.role))


@routes.post("/merchant/logout")
@action(None)
async def logout(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        await service.sign_out(conn, ctx.request.cookies.get(SESSION_COOKIE, ""), ctx.session,
                               ctx.request.remote)
    response = redirect(ctx.request, "/merchant/login")
    clear_cookie(ctx.request, response, SESSION_COOKIE)
    return response


@routes.get("/merchant/invite/{token}")
async def invite_page(request: web.Request) -> web.Response:
    try:
        async with request.app[DB_POOL].acquire() as conn:
            invite = await service.open_invite(conn, request.match_info["token"])
    except PortalError as exc:
        return error_page(request, exc, None)
    return _login_form(request, "invite.html", invite=invite)


@routes.post("/merchant/invite/{token}")
async def accept_invite(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    try:
        form = await _login_csrf(request)
        async with request.app[DB_POOL].acquire() as conn:
            invite = await service.open_invite(conn, token)
            try:
                await service.accept_invite(conn, token, form.get("password", ""),
                                            request.remote)
            except InvalidForm as exc:
                return _login_form(request, "invite.html", status=400, error=str(exc),
                                   invite=invite)
    except PortalError as exc:
        return error_page(request, exc, None)
    return redirect(request, "/merchant/login")


@routes.get("/merchant/team")
@page(Perm.TEAM)
async def team(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        users, invites = await service.team(conn, ctx.merchant_id)
    return ctx.render("team.html", users=users, invites=invites, roles=list(Role),
                      new_invite=None)


@routes.post("/merchant/team/invite")
@action(Perm.TEAM)
async def team_invite(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        made = await service.invite(conn, ctx.policy, ctx.merchant_id, ctx.field("email"),
                                    service.parse_role(ctx.field("role")), ctx.actor,
                                    invited_by=ctx.session.user_id)
        users, invites = await service.team(conn, ctx.merchant_id)
    link = f"{ctx.settings.public_url}/merchant/invite/{made.url_token}"
    return ctx.render("team.html", users=users, invites=invites, roles=list(Role),
                      new_invite=(made, link))


@routes.post("/merchant/team/{id}/role")
@action(Perm.TEAM)
async def team_role(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        await service.change_role(conn, ctx.session, ctx.request.match_info["id"],
                                  service.parse_role(ctx.field("role")), ctx.request.remote)
    return redirect(ctx.request, "/merchant/team")


@routes.post("/merchant/team/{id}/{change:(disable|enable)}")
@action(Perm.TEAM)
async def team_disable(ctx: Ctx) -> web.StreamResponse:
    disabled = ctx.request.match_info["change"] == "disable"
    async with ctx.pool.acquire() as conn:
        await service.set_disabled(conn, ctx.session, ctx.request.match_info["id"], disabled,
                                   ctx.request.remote)
    return redirect(ctx.request, "/merchant/team")


@routes.get("/merchant/audit")
@page(Perm.AUDIT)
async def audit(ctx: Ctx) -> web.StreamResponse:
    before = ctx.query("before")
    async with ctx.pool.acquire() as conn:
        entries = await service.audit_entries(
            conn, ctx.merchant_id, int(before) if before and before.isdigit() else None)
    return ctx.render("audit.html", entries=entries)


async def _account(ctx: Ctx, secret: str | None = None, error: str | None = None,
                   status: int = 200) -> web.Response:
    async with ctx.pool.acquire() as conn:
        users, _ = await service.team(conn, ctx.merchant_id)
    has_totp = any(u["id"] == ctx.session.user_id and u["totp"] for u in users)
    secret = None if has_totp else (secret or service.new_totp_secret())
    uri = service.totp_uri(secret, ctx.session.email) if secret else None
    return ctx.render("account.html", has_totp=has_totp, secret=secret, totp_uri=uri,
                      error=error, status=status)


@routes.get("/merchant/account")
@page(None)
async def account(ctx: Ctx) -> web.StreamResponse:
    return await _account(ctx)


@routes.post("/merchant/account/totp")
@action(None)
async def totp_enable(ctx: Ctx) -> web.StreamResponse:
    secret = ctx.field("secret")
    try:
        async with ctx.pool.acquire() as conn:
            await service.enable_totp(conn, ctx.session, secret, ctx.field("code"),
                                      ctx.request.remote)
    except InvalidForm as exc:
        return await _account(ctx, secret, str(exc), 400)
    return redirect(ctx.request, "/merchant/account")


@routes.post("/merchant/account/totp/disable")
@action(None)
async def totp_disable(ctx: Ctx) -> web.StreamResponse:
    async with ctx.pool.acquire() as conn:
        await service.disable_totp(conn, ctx.session, ctx.request.remote)
    return redirect(ctx.request, "/merchant/account")


@routes.get("/merchant/static/{name}")
async def static_file(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        raise web.HTTPNotFound()
    path = STATIC_DIR / name
    response = web.Response(body=path.read_bytes(),
                            content_type=CONTENT_TYPES[path.suffix], headers={
                                "Cache-Control": "public, max-age=31536000, immutable"})
    secure_headers(request, response)
    return response


def add_routes(app: web.Application) -> None:
    app[PORTAL_POLICY] = POLICY
    app.router.add_routes(routes)
