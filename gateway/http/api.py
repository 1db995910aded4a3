"""The /v1 middleware chain, after the error middleware, in this order:

1. `auth.auth_middleware`           Bearer API key -> principal, else 401 (429 per address
                                    after repeated unknown keys)
2. `auth.ratelimit_middleware`      token bucket per API key, else 429 + Retry-After
3. `idempotency.idempotency_middleware`  POST: JSON body, Idempotency-Key, one transaction

Listed in gateway/app.py DOMAIN_SETUPS before every domain serving /v1 routes.
"""

from __future__ import annotations

from aiohttp import web

from gateway.appkeys import SETTINGS
from gateway.http import auth, idempotency
from gateway.http.ratelimit import TokenBuckets
from gateway.merchants.apikeys import ApiKeyCache


def setup(app: web.Application) -> None:
    settings = app[SETTINGS]
    app[auth.API_KEYS] = ApiKeyCache(settings.api_key_pepper, settings.api_key_cache_ttl)
    app[auth.RATE_BUCKETS] = TokenBuckets(settings.api_rate_limit, settings.api_rate_burst)
    app[auth.FAILED_AUTH] = auth.failed_auth_buckets()
    app.middlewares.extend([
        auth.auth_middleware, auth.ratelimit_middleware, idempotency.idempotency_middleware
    ])
    app.cleanup_ctx.append(idempotency.purge_ctx)
