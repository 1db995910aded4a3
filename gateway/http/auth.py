"""API authentication (401) and the per-key rate limit (429) of /v1 requests.

Every path under `/v1/` except the public ones (`/v1/openapi.json`) needs
`Authorization: Bearer ccp_live_…`. Handlers read the caller with `principal(request)`.
The chain is installed by `gateway.http.api.setup`.
"""

from __future__ import annotations

from aiohttp import web

from gateway.appkeys import DB_POOL
from gateway.errors import RateLimited, Unauthorized
from gateway.http.middleware import Handler
from gateway.http.ratelimit import TokenBuckets
from gateway.merchants.apikeys import ApiKeyCache, Principal

API_PREFIX = "/v1/"
PUBLIC_PATHS = frozenset({"/v1/openapi.json"})

API_KEYS = web.AppKey("api_key_cache", ApiKeyCache)
RATE_BUCKETS = web.AppKey("rate_buckets", TokenBuckets)
PRINCIPAL = web.RequestKey("principal", Principal)


def is_private_api(path: str) -> bool:
    return path.startswith(API_PREFIX) and path not in PUBLIC_PATHS


def principal(request: web.Request) -> Principal:
    """The authenticated caller of a /v1 request (set by `auth_middleware`)."""
    return request[PRINCIPAL]


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization")
    if not header:
        raise Unauthorized(
            "No API key provided. Send 'Authorization: Bearer <key>'.", code="missing_api_key"
        )
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must be 'Bearer <key>'.", code="invalid_api_key")
    return token.strip()


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not is_private_api(request.path):
        return await handler(request)
    cache = request.app[API_KEYS]
    found = await cache.authenticate(request.app[DB_POOL], _bearer(request))
    if found is None:
        raise Unauthorized("Invalid or revoked API key.", code="invalid_api_key")
    request[PRINCIPAL] = found
    return await handler(request)


@web.middleware
async def ratelimit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not is_private_api(request.path):
        return await handler(request)
    wait = request.app[RATE_BUCKETS].take(request[PRINCIPAL].key_id)
    if wait is not None:
        raise RateLimited("Too many requests with this API key; retry later.", retry_after=wait)
    return await handler(request)

