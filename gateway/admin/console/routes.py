"""The console's entry points: sign-in and sign-out, the static files, the audit log page, and
`add_routes` which mounts every console page under /admin.

The sign-in form has no session yet, so its CSRF token is a double-submit one: a random value
in a SameSite=Strict cookie that the form must echo. Success issues a brand-new session token
(no fixation) and drops the sign-in cookie.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlencode

from aiohttp import web

from gateway.admin import audit, auth
from gateway.admin.console import (
    routes_account,
    routes_approvals,
    routes_exceptions,
    routes_invoices,
    routes_merchants,
    routes_refunds,
    routes_reports,
    routes_settlement,
)
from gateway.admin.console.web import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    STATIC_DIR,
    Ctx,
    clear_cookie,
    current_session,
    error_page,
    reader,
    redirect,
    render,
    secure_headers,
    set_cookie,
    writer,
)
from gateway.admin.errors import CsrfRejected, LoginFailed, NotSignedIn
from gateway.appkeys import DB_POOL, SETTINGS
from gateway.auth.tokens import new_token
from gateway.http.csrf import login_token_ok
from gateway.log import get_logger

log = get_logger(__name__)
STATIC: Final = {name: (STATIC_DIR / name).read_bytes()
                 for name in ("admin.css", "admin.js", "favicon.svg")}
CONTENT_TYPES: Final = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


def _safe_next(raw: str | None) -> str:
    """Only console paths: never another host (`//evil`, `/\\evil`) after signing in."""
    if raw and raw.startswith("/admin") and not raw.startswith(("//", "/\\")) \
            and "\\" not in raw and not raw.startswith("/admin/login"):
        return raw
    return "/admin/merchants"


def _login_page(request: web.Request, *, next_url: str, username: str = "",
                error: str | None = None, status: int = 200) -> web.Response:
    token = new_token()
    response = render(request, "login.html", status=status, login_token=token,
                      next=next_url, username=username, error=error)
    set_cookie(request, response, LOGIN_COOKIE, token)
    return response


async def login_form(request: web.Request) -> web.StreamResponse:
    next_url = _safe_next(request.query.get("next"))
    try:
        await current_session(request)
    except NotSignedIn:
        return _login_page(request, next_url=next_url)
    return redirect(request, next_url)


async def login_submit(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    next_url = _safe_next(str(form.get("next", "")))
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    if not login_token_ok(request, form, LOGIN_COOKIE):
        return error_page(request, CsrfRejected(
            "The sign-in form expired or was not sent by this console. Reload and try again."),
            None)
    settings = request.app[SETTINGS]
    try:
        async with request.app[DB_POOL].acquire() as conn:
            opened = await auth.sign_in(conn, settings.admin, username, password,
                                        client_ip=request.remote,
                                        user_agent=request.headers.get("User-Agent"),
                                        otp=str(form.get("otp", "")) or None)
    except LoginFailed as exc:
        return _login_page(request, next_url=next_url, username=username[:64], error=str(exc),
                           status=exc.status)
    response = redirect(request, next_url)
    set_cookie(request, response, SESSION_COOKIE, opened.token,
               max_age=int(settings.admin.session_max.total_seconds()))
    clear_cookie(request, response, LOGIN_COOKIE)
    return response


async def _logout(ctx: Ctx) -> web.StreamResponse:
    token = ctx.request.cookies.get(SESSION_COOKIE, "")
    async with ctx.pool.acquire() as conn:
        await auth.sign_out(conn, token, ctx.actor)
    response = redirect(ctx.request, "/admin/login")
    clear_cookie(ctx.request, response, SESSION_COOKIE)
    return response


logout = writer(_logout, any_role=True)


async def home(request: web.Request) -> web.StreamResponse:
    return redirect(request, "/admin/merchants")


async def static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    body = STATIC.get(name)
    if body is None:
        raise web.HTTPNotFound()
    response = web.Response(body=body, content_type=CONTENT_TYPES[name[name.rfind("."):]])
    # URLs carry a content hash (?v=...), so a long cache lifetime is safe.
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    secure_headers(request, response)
    return response


@reader
async def audit_log(ctx: Ctx) -> web.StreamResponse:
    filters = audit.AuditFilter(ctx.query("actor"), ctx.query("action"),
                                ctx.query("target_id"))
    before = ctx.query("before")
    async with ctx.pool.acquire() as conn:
        entries = await audit.entries(conn, filters,
                                      before_id=int(before) if before and before.isdigit()
                                      else None)
    next_url = None
    if len(entries) == audit.PAGE_SIZE:
        query = {k: v for k, v in (("actor", filters.actor), ("action", filters.action),
                                   ("target_id", filters.target_id)) if v}
        next_url = "/admin/audit?" + urlencode({**query, "before": entries[-1].id})
    return ctx.render("audit.html", entries=entries, filters=filters, next_url=next_url)


def add_routes(app: web.Application) -> None:
    app.router.add_routes([
        web.get("/admin", home),
        web.get("/admin/", home),
        web.get("/admin/login", login_form),
        web.post("/admin/login", login_submit),
        web.post("/admin/logout", logout),
        web.get("/admin/static/{name}", static),
        web.get("/admin/audit", audit_log),
        *routes_merchants.ROUTES,
        *routes_invoices.ROUTES,
        *routes_exceptions.ROUTES,
        *routes_settlement.ROUTES,
        *routes_approvals.ROUTES,
        *routes_refunds.ROUTES,
        *routes_account.ROUTES,
        *routes_reports.ROUTES,
    ])
