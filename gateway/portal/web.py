"""The portal's request plumbing: templates, words, security headers, cookies, and the two
handler wrappers every page and action goes through.

- `page(perm)`: GET; a signed-in user (TOTP done) whose role has `perm`, else 403 with
  nothing of the page in it;
- `action(perm)`: POST; the same, plus the session's CSRF token in the form field or the
  `X-CSRF-Token` header (403 otherwise). The checks run on the server for every request,
  whatever the page showed.
Every response carries a CSP allowing only this origin (no inline script or style), no
framing, no caching. A missing or expired session sends the browser to the sign-in page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import jinja2
from aiohttp import web
from markupsafe import Markup

from gateway.appkeys import DB_POOL, SETTINGS
from gateway.checkout.formatting import (
    almaty,
    asset_amount,
    asset_label,
    format_kzt,
    format_rate,
    network,
)
from gateway.checkout.i18n import choose_language
from gateway.http.browser import EMPTY_FORM, BrowserPolicy, PageContext
from gateway.http.csrf import CSRF_FIELD, session_token_ok
from gateway.log import get_logger
from gateway.payments.amounts import format_units
from gateway.portal import service
from gateway.portal.errors import (
    CsrfRejected,
    InvalidForm,
    NotSignedIn,
    PageNotFound,
    PortalError,
    RoleForbidden,
)
from gateway.portal.i18n import LANGUAGES, NATIVE_NAMES, Words
from gateway.portal.roles import Perm, allows
from gateway.portal.settings import PortalPolicy

log = get_logger(__name__)

SESSION_COOKIE: Final = "ccp_merchant"
LOGIN_COOKIE: Final = "ccp_merchant_login"  # double-submit token of the sign-in forms
LANG_COOKIE: Final = "ccp_lang"
CSRF_HEADER: Final = "X-CSRF-Token"
HERE: Final = Path(__file__).parent
STATIC_DIR: Final = HERE / "static"
STATIC_FILES: Final = ("portal.css", "portal.js", "pos.js")
CSP: Final = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
              "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
              "frame-ancestors 'none'")
BROWSER: Final = BrowserPolicy(CSP, cookie_path="/")
NAV: Final = (("/merchant", "nav_today", Perm.VIEW_SALES),
              ("/merchant/invoices", "nav_invoices", Perm.VIEW_SALES),
              ("/merchant/refunds", "nav_refunds", Perm.VIEW_SALES),
              ("/merchant/payouts", "nav_payouts", Perm.VIEW_MONEY),
              ("/merchant/developers", "nav_developers", Perm.DEVELOPERS),
              ("/merchant/terminals", "nav_terminals", Perm.SETTINGS),
              ("/merchant/settings", "settings", Perm.SETTINGS),
              ("/merchant/team", "nav_team", Perm.TEAM),
              ("/merchant/audit", "nav_audit", Perm.AUDIT),
              ("/pos", "nav_pos", Perm.CHARGE))
PORTAL_POLICY: Final = web.AppKey("portal_policy", PortalPolicy)


def _version(name: str) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


ENV: Final = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
    undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
)
ENV.filters["almaty"] = almaty
ENV.filters["units"] = lambda units, decimals: format_units(int(units), int(decimals))
ENV.filters["asset_amount"] = asset_amount
ENV.filters["asset_label"] = asset_label
ENV.filters["network"] = network
ENV.globals["static"] = {name: f"/merchant/static/{name}?v={_version(name)}"
                         for name in STATIC_FILES}
ENV.globals["languages"] = [(lang, NATIVE_NAMES[lang]) for lang in LANGUAGES]


def words(request: web.Request) -> Words:
    chosen = request.query.get("lang") or request.cookies.get(LANG_COOKIE)
    default = request.app[SETTINGS].checkout.default_lang
    return Words(choose_language(chosen, request.headers.get("Accept-Language"), default))


secure_headers: Final = BROWSER.secure_headers
set_cookie: Final = BROWSER.set_cookie
clear_cookie: Final = BROWSER.clear_cookie
redirect: Final = BROWSER.redirect


def _remember_language(request: web.Request, response: web.StreamResponse, lang: str) -> None:
    if request.query.get("lang") in LANGUAGES:
        set_cookie(request, response, LANG_COOKIE, lang, max_age=365 * 24 * 3600)


def render(request: web.Request, template: str, *, status: int = 200,
           session: service.Session | None = None, csrf_token: str | None = None,
           **values: Any) -> web.Response:
    t = words(request)
    token = csrf_token or (session.csrf_token if session else None)
    csrf = Markup("") if token is None else Markup(
        '<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)
    nav = [] if session is None or session.mfa_pending else [
        (href, t(key)) for href, key, perm in NAV if allows(session.role, perm)]
    html = ENV.get_template(template).render(
        **{"notice": None, "error": None, **values}, session=session, path=request.path,
        csrf=csrf, csrf_value=token or "", t=t, lang=t.lang, nav=nav,
        kzt=lambda tiyn: format_kzt(int(tiyn), t.decimal_separator),
        rate=lambda value, symbol: format_rate(value, symbol, t.decimal_separator))
    response = web.Response(text=html, status=status, content_type="text/html")
    response.headers["Content-Language"] = t.lang
    secure_headers(request, response)
    _remember_language(request, response, t.lang)
    return response


class Ctx(PageContext[service.Session]):
    """What a portal handler gets besides the request."""

    @property
    def policy(self) -> PortalPolicy:
        return self.request.app[PORTAL_POLICY]

    @property
    def merchant_id(self) -> str:
        return self.session.merchant_id

    @property
    def actor(self) -> service.Actor:
        return self.session.actor(self.request.remote)

    def render(self, template: str, *, status: int = 200, **values: Any) -> web.Response:
        return render(self.request, template, status=status, session=self.session, **values)

    def field(self, name: str) -> str:
        value = self.form.get(name)
        return value.strip() if isinstance(value, str) else ""


Handler = Callable[[Ctx], Awaitable[web.StreamResponse]]
RawHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def current_session(request: web.Request, *, pending_ok: bool = False
                          ) -> service.Session:
    async with request.app[DB_POOL].acquire() as conn:
        session = await service.load_session(conn, request.app[PORTAL_POLICY],
                                             request.cookies.get(SESSION_COOKIE))
    if session is None or (session.mfa_pending and not pending_ok):
        raise NotSignedIn("Please sign in.")
    return session


def error_page(request: web.Request, exc: PortalError,
               session: service.Session | None) -> web.Response:
    if isinstance(exc, NotSignedIn):
        target = request.path_qs if request.method == "GET" else "/merchant"
        return redirect(request, f"/merchant/login?next={quote(target, safe='')}")
    return render(request, "error.html", status=exc.status, session=session,
                  message=_said(words(request), exc))


def _said(t: Words, exc: PortalError) -> str:
    """What went wrong in the reader's language where the portal has words for it."""
    if isinstance(exc, RoleForbidden):
        return t("forbidden")
    if isinstance(exc, PageNotFound):
        return t("page_not_found")
    if isinstance(exc, InvalidForm) and exc.word:
        return t(exc.word)
    return str(exc)


def require(session: service.Session, perm: Perm) -> None:
    if not allows(session.role, perm):
        raise RoleForbidden(f"role {session.role.value} lacks {perm.value}")


def page(perm: Perm | None) -> Callable[[Handler], RawHandler]:
    """A GET handler; `perm` None: any signed-in role (the user's own account)."""
    def wrap(handler: Handler) -> RawHandler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            session: service.Session | None = None
            try:
                session = await current_session(request)
                if perm is not None:
                    require(session, perm)
                return await handler(Ctx(request, session, EMPTY_FORM))
            except PortalError as exc:
                return error_page(request, exc, session)
        return wrapped
    return wrap


def action(perm: Perm | None) -> Callable[[Handler], RawHandler]:
    """A POST handler; `perm` None: any signed-in role (own account, sign-out)."""
    def wrap(handler: Handler) -> RawHandler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            session: service.Session | None = None
            try:
                session = await current_session(request)
                form = await request.post()
                if not session_token_ok(request, form, session.csrf_token,
                                        header=CSRF_HEADER):
                    log.warning("portal_csrf_rejected", user=session.email, path=request.path)
                    raise CsrfRejected("The form's security token is missing or wrong. "
                                       "Reload the page and try again.")
                if perm is not None:
                    require(session, perm)
                return await handler(Ctx(request, session, form))
            except PortalError as exc:
                return error_page(request, exc, session)
        return wrapped
    return wrap
