"""Unknown API keys: throttled per client address, never evicting live keys from the cache."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import asyncpg
import pytest

from gateway.config import Settings
from gateway.http.auth import FAILED_AUTH_BURST
from gateway.http.ratelimit import TokenBuckets
from gateway.merchants.apikeys import ApiKeyCache, generate_key
from tests.api.helpers import assert_error
from tests.plugins.app import ApiClient, RunningApp, free_port, running_app


@pytest.fixture
async def fresh_server(app_settings: Settings) -> AsyncIterator[RunningApp]:
    """An app of its own: its failed-authentication buckets start full."""
    port = free_port()
    settings = replace(app_settings, port=port, public_url=f"http://127.0.0.1:{port}",
                       api_key_cache_ttl=60)
    async with running_app(settings) as server:
        yield server


def _unknown_key() -> str:
    return generate_key("any pepper").secret


async def test_a_flood_of_unknown_keys_does_not_evict_a_live_key(
        db_pool: asyncpg.Pool, app_settings: Settings,
        make_api_key: Callable[..., Awaitable[str]]) -> None:
    cache = ApiKeyCache(app_settings.api_key_pepper, ttl=60, max_entries=4, max_unknown=4)
    live = await make_api_key()
    principal = await cache.authenticate(db_pool, live)
    assert principal is not None
    for _ in range(50):
        assert await cache.authenticate(db_pool, _unknown_key()) is None
    assert cache.cached_principal(live) == principal


async def test_unknown_keys_are_throttled_per_address_and_cached_live_keys_still_work(
        fresh_server: RunningApp, api_client: Callable[..., ApiClient],
        make_api_key: Callable[..., Awaitable[str]]) -> None:
    live = api_client(await make_api_key(), server=fresh_server)
    assert (await live.get("/v1/invoices")).status == 200  # now in the live-key cache
    not_cached = api_client(await make_api_key(), server=fresh_server)
    for _ in range(FAILED_AUTH_BURST):
        resp = await api_client(_unknown_key(), server=fresh_server).get("/v1/invoices")
        assert_error(resp, 401, "invalid_api_key")
    resp = await api_client(_unknown_key(), server=fresh_server).get("/v1/invoices")
    assert_error(resp, 429, "rate_limited")
    assert int(resp.headers["Retry-After"]) >= 1
    assert (await live.get("/v1/invoices")).status == 200
    # A key not yet cached is not looked up while the address is throttled.
    assert (await not_cached.get("/v1/invoices")).status == 429


async def test_missing_and_malformed_keys_are_not_counted(
        fresh_server: RunningApp, api_client: Callable[..., ApiClient]) -> None:
    for _ in range(FAILED_AUTH_BURST + 5):
        resp = await api_client("ccp_live_short", server=fresh_server).get("/v1/invoices")
        assert_error(resp, 401, "invalid_api_key")
        resp = await api_client(None, server=fresh_server).get("/v1/invoices")
        assert_error(resp, 401, "missing_api_key")


def test_peek_spends_nothing() -> None:
    buckets = TokenBuckets(rate=1, burst=2)
    assert buckets.peek("a", now=0) is None
    assert buckets.take("a", now=0) is None and buckets.take("a", now=0) is None
    assert buckets.peek("a", now=0) == 1 and buckets.peek("a", now=0) == 1
    assert buckets.peek("a", now=1) is None
    assert buckets.take("a", now=1) is None and buckets.take("a", now=1) == 1
