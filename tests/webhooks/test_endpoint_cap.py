"""A merchant may have WEBHOOK_MAX_ENDPOINTS endpoints (default 16); one more is 400."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import asyncpg
import pytest

from gateway.config import Settings
from tests.webhooks.support import (
    FAST_WEBHOOKS,
    ShopMerchant,
    make_merchant,
    serve_app,
    settings_for,
)

URL = "http://127.0.0.1:9/hook"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _create(http: aiohttp.ClientSession, api: str,
                  merchant: ShopMerchant) -> tuple[int, dict[str, object]]:
    async with http.post(f"{api}/v1/webhook_endpoints", headers=merchant.headers,
                         json={"url": URL, "enabled_events": ["*"]}) as resp:
        return resp.status, await resp.json()


async def test_the_17th_endpoint_is_refused_and_a_deleted_one_frees_room(
        own_db_url: str, own_conn: asyncpg.Connection, http: aiohttp.ClientSession) -> None:
    assert Settings().webhooks.max_endpoints == 16
    no_worker = replace(FAST_WEBHOOKS, worker=False)
    async with serve_app(settings_for(own_db_url, webhooks=no_worker)) as api:
        merchant = await make_merchant(own_conn)
        created = [await _create(http, api, merchant) for _ in range(16)]
        assert [status for status, _ in created] == [200] * 16
        status, body = await _create(http, api, merchant)
        assert status == 400
        assert body["error"] == {"type": "invalid_request_error", "code": "too_many_endpoints",
                                 "message": body["error"]["message"], "param": None}
        other = await make_merchant(own_conn)
        assert (await _create(http, api, other))[0] == 200  # the cap is per merchant
        async with http.delete(f"{api}/v1/webhook_endpoints/{created[0][1]['id']}",
                               headers=merchant.headers) as resp:
            assert resp.status == 200
        assert (await _create(http, api, merchant))[0] == 200


async def test_concurrent_creations_cannot_overshoot_the_cap(
        own_db_url: str, own_conn: asyncpg.Connection, http: aiohttp.ClientSession) -> None:
    capped = replace(FAST_WEBHOOKS, worker=False, max_endpoints=3)
    settings = settings_for(own_db_url, webhooks=capped)
    async with serve_app(settings) as api:
        merchant = await make_merchant(own_conn)
        results = await asyncio.gather(*(_create(http, api, merchant) for _ in range(10)))
        assert sorted(status for status, _ in results) == [200] * 3 + [400] * 7
