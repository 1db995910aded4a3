"""gateway.http.browser: the console's and the portal's policies send exactly the headers and
cookie attributes each sent before they shared the code."""

from __future__ import annotations

from types import SimpleNamespace

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from gateway.admin.console import web as console
from gateway.appkeys import SETTINGS
from gateway.portal import web as portal

COMMON = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
          "Referrer-Policy": "same-origin", "Cross-Origin-Opener-Policy": "same-origin",
          "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
          "Cache-Control": "no-store"}


def request(public_url: str) -> web.Request:
    app = web.Application()
    app[SETTINGS] = SimpleNamespace(public_url=public_url)  # type: ignore[assignment]
    return make_mocked_request("GET", "/", app=app)


def test_the_console_sends_its_csp_and_keeps_resources_same_origin() -> None:
    response = console.redirect(request("https://pay.example"), "/admin/merchants")
    assert response.status == 303 and response.headers["Location"] == "/admin/merchants"
    assert dict(response.headers) == {
        "Location": "/admin/merchants", **COMMON, "Content-Security-Policy": console.CSP,
        "Cross-Origin-Resource-Policy": "same-origin",
        "Strict-Transport-Security": "max-age=31536000"}


def test_the_portal_sends_its_csp_without_a_resource_policy_and_no_hsts_over_http() -> None:
    response = portal.redirect(request("http://localhost:8080"), "/merchant")
    assert dict(response.headers) == {
        "Location": "/merchant", **COMMON, "Content-Security-Policy": portal.CSP}


def test_cookies_are_httponly_strict_secure_behind_https_and_scoped() -> None:
    response = web.Response()
    console.set_cookie(request("https://pay.example"), response, console.SESSION_COOKIE, "t")
    portal.set_cookie(request("http://localhost:8080"), response, portal.SESSION_COOKIE, "t")
    admin_cookie = response.cookies[console.SESSION_COOKIE]
    merchant_cookie = response.cookies[portal.SESSION_COOKIE]
    assert (admin_cookie["path"], admin_cookie["samesite"]) == ("/admin", "Strict")
    assert admin_cookie["httponly"] and admin_cookie["secure"]
    assert (merchant_cookie["path"], merchant_cookie["samesite"]) == ("/", "Strict")
    assert merchant_cookie["httponly"] and not merchant_cookie["secure"]
    console.clear_cookie(request("https://pay.example"), response, console.SESSION_COOKIE)
    assert response.cookies[console.SESSION_COOKIE]["max-age"] == "0"
