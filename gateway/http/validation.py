"""Text no part of the system can store: refused at the HTTP edge, before any handler runs.

PostgreSQL `text` cannot hold NUL (asyncpg raises CharacterNotInRepertoireError, a 500), and a
lone UTF-16 surrogate is not a character at all: it cannot be encoded as UTF-8, so it breaks
JSON output, logs and the database alike. Such text arrives as `%00` in a query parameter or
path segment, as `\\u0000` / `\\ud800` in a JSON string, or as a header byte that is not UTF-8
(aiohttp decodes header bytes with surrogateescape). `input_middleware` checks every query
parameter (names too), every path segment the route matched, the request headers handlers
read and every form field; `read_json_object` checks every JSON string and key at any depth.
A hit is a 400 `invalid_string` naming the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web

from gateway.errors import InvalidRequest
from gateway.http.middleware import Handler

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})

# Every request header a handler or middleware reads (lower-cased names).
READ_HEADERS = (
    "Authorization", "Idempotency-Key", "Last-Event-ID", "User-Agent", "Accept-Language",
    "If-None-Match", "Cookie", "Origin", "Referer",
)


def has_unstorable(text: str) -> bool:
    """True when `text` holds a NUL or a lone surrogate."""
    return _UNSTORABLE.search(text) is not None


def refuse(param: str) -> InvalidRequest:
    return InvalidRequest(
        f"{param} contains a NUL character or a lone surrogate, which is not accepted.",
        code="invalid_string", param=param,
    )


def check_json(value: Any, path: str = "") -> None:
    """Raise `refuse(path)` at the first unstorable string or object key, at any depth."""
    if isinstance(value, str):
        if has_unstorable(value):
            raise refuse(path or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}[{key}]" if path else str(key)
            if has_unstorable(str(key)):
                raise refuse(path or "body")
            check_json(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_json(item, f"{path}[{index}]")


def _check_pairs(pairs: Iterable[tuple[str, Any]]) -> None:
    for name, value in pairs:
        if has_unstorable(name):
            raise refuse("query")
        if isinstance(value, str) and has_unstorable(value):
            raise refuse(name)


def check_request(request: web.Request) -> None:
    """Query, matched path segments and read headers; raises `refuse(param)`."""
    _check_pairs(request.query.items())
    _check_pairs(request.match_info.items())
    headers: Mapping[str, str] = request.headers
    _check_pairs((name, value) for name in READ_HEADERS
                 if (value := headers.get(name)) is not None)


@web.middleware
async def input_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse unstorable text in any part of the request before a handler sees it."""
    check_request(request)
    if request.method == "POST" and request.content_type in FORM_TYPES:
        try:
            form = await request.post()
        except ValueError as exc:  # aiohttp's answer to a broken multipart body
            raise InvalidRequest("The form body is malformed.", code="invalid_form") from exc
        _check_pairs(form.items())
    return await handler(request)
