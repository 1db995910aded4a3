"""The console's request plumbing: templates, security headers, cookies, and the two handler
wrappers every page goes through.

- `reader`: GET pages; any signed-in user (admin or auditor).
- `writer`: POST actions; a signed-in user, the session's CSRF token in the form (403
  otherwise) and, unless `any_role`, the admin role (403 for operators and auditors);
  `operator_writer` for settlement actions lets operators in too. The checks run on the
  server for every POST, whatever the page showed.
Errors of the console render as HTML pages with their status; a missing or expired session
sends the browser to the sign-in page. Every response carries the strict headers: a CSP that
allows only this origin (no inline script or style), no framing, no caching, no sniffing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web
from markupsafe import Markup

from gateway.admin import audit, auth
from gateway.admin.console.formatting import (
    FILTERS,
    kzt,
    timestamp,
    units,
    zone_label,
)
from gateway.admin.errors import AdminError, CsrfRejected, InvalidForm, NotSignedIn
from gateway.appkeys import DB_POOL, SETTINGS
from gateway.checkout.formatting import ALMATY
from gateway.http.browser import EMPTY_FORM, BrowserPolicy, PageContext
from gateway.http.csrf import CSRF_FIELD, session_token_ok
from gateway.http.download import content_disposition
from gateway.log import get_logger
from settlement.reports.render import readable_rows

log = get_logger(__name__)

SESSION_COOKIE: Final = "ccp_admin"
LOGIN_COOKIE: Final = "ccp_admin_login"  # double-submit token of the sign-in form
COOKIE_PATH: Final = "/admin"
HERE: Final = Path(__file__).parent
STATIC_DIR: Final = HERE / "static"
CSP: Final = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
              "object-src 'none'; base-uri 'none'; form-action 'self'; "
              "frame-ancestors 'none'")
BROWSER: Final = BrowserPolicy(CSP, COOKIE_PATH, same_origin_resources=True)


def _static_version(name: str) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


ENV: Final = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,  # every value is HTML-escaped unless a template says otherwise
    undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
)
ENV.filters.update(FILTERS)


@jinja2.pass_context
def _zoned_timestamp(context: jinja2.runtime.Context, value: datetime | date | None) -> str:
    """`ts` in the zone the page was rendered for (`page_zone`: SETTLEMENT_TIMEZONE)."""
    return timestamp(value, context.get("page_zone") or ALMATY)


ENV.filters["ts"] = _zoned_timestamp
# A report table's rows as people read them (tenge, coins); downloads keep plain figures.
ENV.filters["readable"] = lambda table: readable_rows(table, kzt, units)
ENV.globals["css_url"] = f"/admin/static/admin.css?v={_static_version('admin.css')}"
ENV.globals["js_url"] = f"/admin/static/admin.js?v={_static_version('admin.js')}"
ENV.globals["icon_url"] = f"/admin/static/favicon.svg?v={_static_version('favicon.svg')}"


secure_headers: Final = BROWSER.secure_headers
set_cookie: Final = BROWSER.set_cookie
clear_cookie: Final = BROWSER.clear_cookie
redirect: Final = BROWSER.redirect


def render(request: web.Request, template: str, *, status: int = 200,
           session: auth.Session | None = None, **values: Any) -> web.Response:
    csrf = Markup("") if session is None else Markup(
        '<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, session.csrf_token)
    zone = ZoneInfo(request.app[SETTINGS].settlement.zone)
    html = ENV.get_template(template).render(
        **{"notice": None, "error": None, **values}, session=session, path=request.path,
        csrf=csrf, page_zone=zone, page_zone_label=zone_label(zone, datetime.now(UTC)))
    response = web.Response(text=html, status=status, content_type="text/html")
    secure_headers(request, response)
    return response


def attachment(request: web.Request, body: bytes, content_type: str,
               filename: str) -> web.Response:
    response = web.Response(body=body, content_type=content_type, headers={
        "Content-Disposition": content_disposition(filename)})
    secure_headers(request, response)
    return response


class Ctx(PageContext[auth.Session]):
    """What a console handler gets besides the request."""

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor(self.session.user_id, self.session.username, self.request.remote)

    def render(self, template: str, *, status: int = 200, **values: Any) -> web.Response:
        return render(self.request, template, status=status, session=self.session, **values)

    def field(self, name: str, *, required: bool = True) -> str:
        value = self.form.get(name)
        text = value.strip() if isinstance(value, str) else ""
        if required and not text:
            raise InvalidForm(name, "is required")
        return text

    def optional(self, name: str) -> str | None:
        return self.field(name, required=False) or None


Handler = Callable[[Ctx], Awaitable[web.StreamResponse]]
RawHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def current_session(request: web.Request) -> auth.Session:
    async with request.app[DB_POOL].acquire() as conn:
        session = await auth.load_session(conn, request.app[SETTINGS].admin,
                                          request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise NotSignedIn("Please sign in.")
    return session


def error_page(request: web.Request, exc: AdminError,
               session: auth.Session | None) -> web.Response:
    if isinstance(exc, NotSignedIn):
        target = request.path_qs if request.method == "GET" else "/admin"
        return redirect(request, f"/admin/login?next={quote(target, safe='')}")
    return render(request, "error.html", status=exc.status, session=session,
                  message=str(exc))


@contextmanager
def mapped(*pairs: tuple[type[Exception] | tuple[type[Exception], ...], type[AdminError]]
           ) -> Iterator[None]:
    """Other domains' refusals as console errors (message kept, status from the target)."""
    try:
        yield
    except AdminError:
        raise
    except Exception as exc:
        for source, target in pairs:
            if isinstance(exc, source):
                raise target(str(exc)) from exc
        raise


def reader(handler: Handler) -> RawHandler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        session: auth.Session | None = None
        try:
            session = await current_session(request)
            return await handler(Ctx(request, session, EMPTY_FORM))
        except AdminError as exc:
            return error_page(request, exc, session)

    return wrapped


def writer(handler: Handler, *, any_role: bool = False, operators: bool = False) -> RawHandler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        session: auth.Session | None = None
        try:
            session = await current_session(request)
            form = await request.post()
            if not session_token_ok(request, form, session.csrf_token):
                log.warning("admin_csrf_rejected", user=session.username, path=request.path)
                raise CsrfRejected("The form's security token is missing or wrong. "
                                   "Reload the page and try again.")
            if operators:
                auth.require_operator(session)
            elif not any_role:
                auth.require_admin(session)
            return await handler(Ctx(request, session, form))
        except AdminError as exc:
            return error_page(request, exc, session)

    return wrapped


def operator_writer(handler: Handler) -> RawHandler:
    """A settlement action: operators may run it as well as admins."""
    return writer(handler, operators=True)


def parse_day(raw: str | None, field: str) -> date | None:
    """YYYY-MM-DD, or None when blank."""
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidForm(field, "must be a date YYYY-MM-DD") from exc
