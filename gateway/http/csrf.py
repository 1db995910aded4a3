"""CSRF checks of the browser sessions (console and merchant portal).

- Signed in: every POST carries the session's own CSRF token (gateway.auth.sessions keeps
  it with the session) in the form field `csrf_token`, or, where the caller allows it, in a
  header (the portal's `X-CSRF-Token`, for its scripts). A missing, short or other
  session's token does not match (constant-time comparison, gateway.auth.tokens).
- Signing in (no session yet): double submit. The sign-in page sets a random token in a
  cookie of its own and in the form; the POST must bring the same value in both.
The caller turns a mismatch into its own 403 error and logs it.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web
from multidict import MultiDictProxy

from gateway.auth.tokens import tokens_match

CSRF_FIELD: Final = "csrf_token"


def given_token(request: web.Request, form: MultiDictProxy[Any],
                header: str | None = None) -> str | None:
    """The token a request sends: the form field, else (when named) the header."""
    value = form.get(CSRF_FIELD) or (request.headers.get(header) if header else None)
    return value if isinstance(value, str) else None


def session_token_ok(request: web.Request, form: MultiDictProxy[Any], expected: str, *,
                     header: str | None = None) -> bool:
    """The request carries the session's CSRF token."""
    return tokens_match(expected, given_token(request, form, header))


def login_token_ok(request: web.Request, form: MultiDictProxy[Any], cookie: str) -> bool:
    """Double submit: the sign-in form's token equals its cookie's."""
    return tokens_match(request.cookies.get(cookie), given_token(request, form))
