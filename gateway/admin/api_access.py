"""Who calls the JSON API under /admin/api, and whether they may.

The callers are the console's own administrators, with one of two credentials:
- a per-user API token, `Authorization: Bearer ccpadm_...` (made with
  `python -m gateway admin token create`; shown once, stored hashed, revocable);
- the console's session cookie, for scripts in a signed-in browser.
There is no shared token and no open mode. Cross-site requests cannot act: every POST must be
`application/json` (a browser sends that cross-site only after a CORS preflight, which this
app never grants), and a POST riding on the session cookie must also echo the session's CSRF
token in the `X-CSRF-Token` header. Reads need any role; changes need `operator` or `admin`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from aiohttp import web

from gateway.admin import audit, auth
from gateway.admin.console.web import SESSION_COOKIE
from gateway.admin.errors import RoleForbidden
from gateway.appkeys import DB_POOL, SETTINGS
from gateway.auth.tokens import tokens_match
from gateway.errors import Forbidden, Unauthorized, UnsupportedMediaType
from gateway.log import get_logger

log = get_logger(__name__)
CSRF_HEADER: Final = "X-CSRF-Token"
JSON: Final = "application/json"
SAFE_METHODS: Final = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class ApiCaller:
    """An authenticated caller of the JSON API."""

    principal: auth.Session | auth.TokenCaller
    client_ip: str | None

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor(self.principal.user_id, self.principal.username, self.client_ip)


async def _token_caller(request: web.Request, header: str) -> auth.TokenCaller:
    scheme, _, secret = header.partition(" ")
    found = None
    if scheme.lower() == "bearer":
        async with request.app[DB_POOL].acquire() as conn:
            found = await auth.load_api_token(conn, secret.strip())
    if found is None:
        raise Unauthorized("A valid admin API token is required (Authorization: Bearer ...).",
                           code="invalid_admin_token")
    return found


async def _session_caller(request: web.Request) -> auth.Session:
    async with request.app[DB_POOL].acquire() as conn:
        session = await auth.load_session(conn, request.app[SETTINGS].admin,
                                          request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise Unauthorized("Sign in to the console or send an admin API token.",
                           code="invalid_admin_token")
    if request.method not in SAFE_METHODS and not tokens_match(session.csrf_token,
                                                               request.headers.get(CSRF_HEADER)):
        log.warning("admin_api_csrf_rejected", user=session.username, path=request.path)
        raise Forbidden(f"A session-authenticated change needs the {CSRF_HEADER} header.",
                        code="csrf_rejected")
    return session


async def api_caller(request: web.Request, *, change: bool) -> ApiCaller:
    """The caller of this request; `change`: the route changes state (operator or admin)."""
    if request.method not in SAFE_METHODS and request.content_type != JSON:
        raise UnsupportedMediaType(f"Send the request body as {JSON}.")
    header = request.headers.get("Authorization")
    principal = (await _token_caller(request, header) if header is not None
                 else await _session_caller(request))
    if change:
        try:
            auth.require_operator(principal)
        except RoleForbidden as exc:
            raise Forbidden(str(exc), code="role_forbidden") from exc
    return ApiCaller(principal, request.remote)
