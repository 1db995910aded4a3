"""Reading JSON request bodies with precise errors (malformed, not an object, too large).

Every string and key of the body, at any depth, is checked for text PostgreSQL cannot store
(`gateway.http.validation`): the one JSON body parser is the one place this happens.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from gateway.errors import InvalidRequest, PayloadTooLarge
from gateway.http.validation import FORM_TYPES, check_json


async def read_json_object(request: web.Request, *, max_bytes: int) -> dict[str, Any]:
    """The request body as a JSON object; empty body means `{}`."""
    if request.content_type in FORM_TYPES:
        return await _empty_form(request)
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(f"The request body exceeds {max_bytes} bytes.")
    raw = await request.content.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"The request body exceeds {max_bytes} bytes.")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_float=_refuse_float_marker)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"The body is not valid JSON: {exc}", code="invalid_json") from exc
    if not isinstance(body, dict):
        raise InvalidRequest("The body must be a JSON object.", code="invalid_json")
    check_json(body)
    return body


async def _empty_form(request: web.Request) -> dict[str, Any]:
    # input_middleware has read (and checked) the form, so the stream is spent: a form with
    # fields would read as `{}`, and a partial refund's amount=100 become a full refund.
    if await request.post():
        raise InvalidRequest("The body must be a JSON object (Content-Type: application/json), "
                             "not a form.", code="invalid_json")
    return {}


class FloatInBody(str):
    """A JSON number with a fraction or exponent, kept as its text so money is never a float."""


def _refuse_float_marker(text: str) -> FloatInBody:
    return FloatInBody(text)
