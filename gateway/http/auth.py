"""API authentication (401) and the per-key rate limit (429) of /v1 requests.

Every path under `/v1/` except the public ones (`/v1/openapi.json`) needs
`Authorization: Bearer ccp_live_…`. Handlers read the caller with `principal(request)`.
The chain is installed by `gateway.http.api.setup`.

Failed authentications (a missing, malformed, unknown or revoked key) are throttled per client
address: each well-formed key that is unknown or revoked costs a token of the address's bucket
(`FAILED_AUTH_BURST` failures, refilled at `FAILED_AUTH_RATE` per second). While the bucket is
empty, a key not in the live-key cache gets 429 + Retry-After without being looked up, so
guessing keys or flooding unknown ones cannot load the database; a live key already cached
(say, of a shop sharing the address) keeps working. Missing and malformed keys never reach the
database and are not counted.
"""

from __future__ import annotations

from aiohttp import web

from gateway.appkeys import DB_POOL
from gateway.errors import RateLimited, Unauthorized
from gateway.http.middleware import Handler
from gateway.http.ratelimit import TokenBuckets
from gateway.merchants.apikeys import ApiKeyCache, Principal, well_formed

API_PREFIX = "/v1/"
PUBLIC_PATHS = frozenset({"/v1/openapi.json", "/v1/status"})

FAILED_AUTH_BURST = 20
FAILED_AUTH_RATE = 0.5  # float-ok: failures per second refilled per address

API_KEYS = web.AppKey("api_key_cache", ApiKeyCache)
RATE_BUCKETS = web.AppKey("rate_buckets", TokenBuckets)
FAILED_AUTH = web.AppKey("failed_auth_buckets", TokenBuckets)
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


def failed_auth_buckets() -> TokenBuckets:
    return TokenBuckets(FAILED_AUTH_RATE, FAILED_AUTH_BURST)


def _client(request: web.Request) -> str:
    return request.remote or "unknown"


async def _authenticate(request: web.Request) -> Principal:
    """The caller; 401 for a bad key, 429 while the address is out of failed attempts."""
    secret = _bearer(request)
    cache = request.app[API_KEYS]
    failures = request.app[FAILED_AUTH]
    client = _client(request)
    wait = failures.peek(client)
    if wait is not None:
        # Throttled: a live key already in the cache still works, nothing reaches the database.
        cached = cache.cached_principal(secret)
        if cached is None:
            raise RateLimited("Too many failed authentications from this address; retry "
                              "later.", retry_after=wait)
        return cached
    found = await cache.authenticate(request.app[DB_POOL], secret)
    if found is None:
        if well_formed(secret):
            failures.take(client)
        raise Unauthorized("Invalid or revoked API key.", code="invalid_api_key")
    return found


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not is_private_api(request.path):
        return await handler(request)
    request[PRINCIPAL] = await _authenticate(request)
    return await handler(request)


@web.middleware
async def ratelimit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not is_private_api(request.path):
        return await handler(request)
    wait = request.app[RATE_BUCKETS].take(request[PRINCIPAL].key_id)
    if wait is not None:
        raise RateLimited("Too many requests with this API key; retry later.", retry_after=wait)
    return await handler(request)

