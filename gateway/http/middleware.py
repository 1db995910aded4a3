"""The one error middleware: every 4xx/5xx leaves as {"error": {type, code, message, param}}.

It also gives each request an id (echoed in `Request-Id`) bound into the structlog context so
every log line of the request carries it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from gateway.errors import (
    ApiError,
    InternalError,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
)
from gateway.log import get_logger

log = get_logger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
REQUEST_ID = web.RequestKey("request_id", str)
# A client's X-Request-Id is echoed and logged only when it is plain: no NUL, no surrogates.
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def _request_id(request: web.Request) -> str:
    given = request.headers.get("X-Request-Id", "")
    return given if _CLIENT_REQUEST_ID.match(given) else "req_" + secrets.token_hex(8)


def error_response(error: ApiError, request_id: str | None = None) -> web.Response:
    headers = dict(error.headers)
    if request_id:
        headers["Request-Id"] = request_id
    return web.json_response(error.body(), status=error.status, headers=headers)


def _from_http_exception(exc: web.HTTPException) -> ApiError:
    if isinstance(exc, web.HTTPNotFound):
        return NotFound("No such resource.", code="resource_missing")
    if isinstance(exc, web.HTTPMethodNotAllowed):
        # RFC 9110 15.5.6: a 405 lists the methods the resource does support.
        return MethodNotAllowed(f"Method {exc.method} is not allowed here.",
                                headers={"Allow": exc.headers["Allow"]})
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return PayloadTooLarge("The request body is larger than the limit.")
    error = InvalidRequest(exc.reason or "Bad request.", code="http_error")
    error.status = exc.status
    return error


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = _request_id(request)
    request[REQUEST_ID] = request_id
    structlog.contextvars.bind_contextvars(request_id=request_id)
    try:
        response = await handler(request)
    except ApiError as exc:
        return error_response(exc, request_id)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_response(_from_http_exception(exc), request_id)
    except Exception:
        log.exception("unhandled_error", path=request.path, method=request.method)
        return error_response(InternalError("An internal error occurred."), request_id)
    finally:
        structlog.contextvars.unbind_contextvars("request_id")
    response.headers.setdefault("Request-Id", request_id)
    return response
