"""A browser-less admin console session: cookies, the sign-in form's CSRF token, pages."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

from tests.e2e.harness import Http

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class AdminConsole:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def _open(self, request: urllib.request.Request) -> Http:
        try:
            with self._opener.open(request, timeout=10) as answer:
                return Http(answer.status, answer.read().decode(), dict(answer.headers))
        except urllib.error.HTTPError as exc:
            return Http(exc.code, exc.read().decode(), dict(exc.headers))

    def get(self, path: str) -> Http:
        return self._open(urllib.request.Request(self.base_url + path))

    def sign_in(self, username: str, password: str) -> None:
        form = self.get("/admin/login")
        token = _CSRF.search(form.body)
        assert token, f"no CSRF token on the sign-in page ({form.status})"
        data = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrf_token": token.group(1)}).encode()
        answer = self._open(urllib.request.Request(self.base_url + "/admin/login", data=data))
        # Signed in, the form's 303 leads to a console page; refused, the form comes back.
        assert answer.status == 200 and 'name="password"' not in answer.body, \
            f"sign-in refused ({answer.status})"
