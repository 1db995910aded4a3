"""API keys: missing/bad/revoked keys get 401, the cache honours revocation, 429 per key."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
import asyncpg
import pytest

from gateway.config import Settings
from gateway.merchants import service
from gateway.merchants.apikeys import KEY_PREFIX, generate_key, hash_key, well_formed
from tests.api.helpers import assert_error, invoice_body
from tests.plugins.app import ApiClient, ApiResponse, RunningApp, free_port, running_app
from tests.plugins.eventually import eventually


def _settings_on_new_port(settings: Settings, **changes: Any) -> Settings:
    port = free_port()
    return replace(settings, port=port, public_url=f"http://127.0.0.1:{port}", **changes)


@pytest.fixture(scope="module")
async def strict_server(app_settings: Settings) -> AsyncIterator[RunningApp]:
    """An app with a 1 s key cache and a tiny rate limit (1/s, bursts of 3)."""
    settings = _settings_on_new_port(app_settings, api_key_cache_ttl=1, api_rate_limit=1,
                                     api_rate_burst=3)
    async with running_app(settings) as server:
        yield server


def test_generated_keys_are_long_random_and_hashed() -> None:
    key = generate_key("pepper")
    assert key.secret.startswith(KEY_PREFIX) and len(key.secret) == len(KEY_PREFIX) + 40
    assert well_formed(key.secret)
    assert key.key_hash == hash_key("pepper", key.secret) != hash_key("other", key.secret)
    assert key.prefix == key.secret[:13] and key.last4 == key.secret[-4:]
    assert generate_key("pepper").secret != key.secret


@pytest.mark.parametrize("header,code", [
    (None, "missing_api_key"),
    ("Basic dXNlcjpwYXNz", "invalid_api_key"),
    ("Bearer", "invalid_api_key"),
    ("Bearer ccp_live_short", "invalid_api_key"),
    ("Bearer " + KEY_PREFIX + "A" * 40, "invalid_api_key"),
])
async def test_bad_credentials(api_client: Callable[..., ApiClient], header: str | None,
                               code: str) -> None:
    client = api_client(None)
    headers = {"Authorization": header} if header else {}
    for response in (await client.get("/v1/invoices", headers=headers),
                     await client.post("/v1/invoices", invoice_body(), headers=headers)):
        assert_error(response, 401, code)


async def test_keys_are_stored_hashed_with_visible_prefix(
    db_pool: asyncpg.Pool, make_merchant: Callable[..., Awaitable[str]], app_settings: Settings
) -> None:
    merchant_id = await make_merchant()
    async with db_pool.acquire() as conn:
        issued = await service.issue_api_key(conn, merchant_id, app_settings.api_key_pepper)
        row = await conn.fetchrow("SELECT * FROM api_keys WHERE id = $1", issued.id)
    assert row is not None
    assert issued.secret.encode() not in bytes(row["key_hash"])
    assert row["prefix"] == issued.secret[:13] and row["last4"] == issued.secret[-4:]
    assert issued.secret not in str(dict(row))


async def test_revoked_key_stops_working_within_the_cache_ttl(
    strict_server: RunningApp, api_client: Callable[..., ApiClient], db_pool: asyncpg.Pool,
    make_merchant: Callable[..., Awaitable[str]], app_settings: Settings,
) -> None:
    async with db_pool.acquire() as conn:
        issued = await service.issue_api_key(conn, await make_merchant(),
                                             app_settings.api_key_pepper)
    client = api_client(issued.secret, server=strict_server)
    assert (await client.get("/v1/invoices")).status == 200
    async with db_pool.acquire() as conn:
        await service.revoke_api_key(conn, issued.id)
    async def refused() -> ApiResponse | None:
        response = await client.get("/v1/invoices")
        return response if response.status != 200 else None

    # One try a second: the strict server refills one token per second.
    response = await eventually(refused, what="revocation honoured within the TTL",
                                timeout=3.5, interval=1.0)
    assert_error(response, 401, "invalid_api_key")


async def test_rate_limit_per_key(strict_server: RunningApp,
                                  api_client: Callable[..., ApiClient],
                                  make_api_key: Callable[..., Awaitable[str]]) -> None:
    limited = api_client(await make_api_key(), server=strict_server)
    statuses = [(await limited.get("/v1/invoices")).status for _ in range(3)]
    assert statuses == [200, 200, 200]
    response = await limited.get("/v1/invoices")
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1
    other = api_client(await make_api_key(), server=strict_server)
    assert (await other.get("/v1/invoices")).status == 200  # buckets are per key


async def test_health_and_qr_need_no_key(app_server: RunningApp) -> None:
    async with aiohttp.ClientSession() as session, \
            session.get(app_server.url + "/healthz") as resp:
        assert resp.status == 200
