"""What the console (/admin) and the merchant portal (/merchant, /pos) send a browser
besides the page: the strict security headers and the session cookies. Each hands in its own
`BrowserPolicy` (its CSP, its cookie path); the rules are the same:

- headers: a CSP of its own, no sniffing, no framing, same-origin referrer and opener, no
  camera/microphone/geolocation/payment, `Cache-Control: no-store` unless the handler set
  one, HSTS behind https;
- cookies: HttpOnly, SameSite=Strict, Secure behind https, scoped to the policy's path; the
  value is a random token (gateway.auth.tokens), never anything readable.
`PageContext` is what a signed-in page or form handler of either gets besides the request
(each subclasses it with its own session type, actor and form rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

import asyncpg
from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from gateway.appkeys import DB_POOL, SETTINGS
from gateway.config import Settings
from gateway.http.security import HSTS

SessionT = TypeVar("SessionT")
EMPTY_FORM: Final[MultiDictProxy[Any]] = MultiDictProxy(MultiDict())


def https(request: web.Request) -> bool:
    return request.secure or request.app[SETTINGS].public_url.startswith("https://")


@dataclass(frozen=True)
class BrowserPolicy:
    """One browser-facing app's headers and cookies (its methods are its web layer's)."""

    csp: str
    cookie_path: str
    # Also send `Cross-Origin-Resource-Policy: same-origin` (the console always has; the
    # portal never has, and this keeps it so)
    same_origin_resources: bool = False

    def secure_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        h = response.headers
        h["Content-Security-Policy"] = self.csp
        h["X-Content-Type-Options"] = "nosniff"
        h["X-Frame-Options"] = "DENY"
        h["Referrer-Policy"] = "same-origin"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        if self.same_origin_resources:
            h["Cross-Origin-Resource-Policy"] = "same-origin"
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
        h.setdefault("Cache-Control", "no-store")
        if https(request):
            h["Strict-Transport-Security"] = HSTS

    def set_cookie(self, request: web.Request, response: web.StreamResponse, name: str,
                   value: str, max_age: int | None = None) -> None:
        response.set_cookie(name, value, path=self.cookie_path, httponly=True,
                            samesite="Strict", secure=https(request), max_age=max_age)

    def clear_cookie(self, request: web.Request, response: web.StreamResponse,
                     name: str) -> None:
        response.del_cookie(name, path=self.cookie_path, secure=https(request),
                            httponly=True, samesite="Strict")

    def redirect(self, request: web.Request, location: str) -> web.Response:
        """303 See Other (after a POST, the browser GETs `location`)."""
        response = web.Response(status=303, headers={"Location": location})
        self.secure_headers(request, response)
        return response


@dataclass(frozen=True)
class PageContext(Generic[SessionT]):
    """A signed-in request: the request, its session, its form (empty for a GET)."""

    request: web.Request
    session: SessionT
    form: MultiDictProxy[Any]

    @property
    def pool(self) -> asyncpg.Pool:
        return self.request.app[DB_POOL]

    @property
    def settings(self) -> Settings:
        return self.request.app[SETTINGS]

    def query(self, name: str) -> str | None:
        """A query parameter, stripped; None when absent or blank."""
        return self.request.query.get(name, "").strip() or None
