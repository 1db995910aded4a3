"""Webhook endpoints per mode on the developers page (issue 13, test mode): an owner adds a
test endpoint through the portal form; a test invoice's event reaches it, signed, and not the
live endpoint (and a live invoice's the live one only); the endpoints table and the delivery
log badge the test ones in English and Russian; "Send again" keeps to the event's mode; the
audit entry says the mode.

The app runs on a database of its own with its delivery worker (the shared app has none).
"""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
import asyncpg

from gateway.merchants.service import issue_api_key
from gateway.portal.roles import Role
from tests.plugins.app import ApiClient
from tests.plugins.db import database_pool, fresh_database
from tests.plugins.eventually import eventually
from tests.portal.support import Browserless, client, make_user
from tests.webhooks.support import (
    PEPPER,
    Receiver,
    make_merchant,
    run_receiver,
    serve_app,
    settings_for,
)

SECRET = re.compile(r"whsec_[A-Za-z0-9]{32}")
ROW = re.compile(r"<tr>.*?</tr>", re.S)
BADGES = {"en": '<span class="tag" data-mode="test">Test</span>',
          "ru": '<span class="tag" data-mode="test">Тест</span>'}


async def _add_endpoint(owner: Browserless, hook: Receiver, mode: str | None) -> None:
    form = {"url": hook.url, "event": "*", **({"mode": mode} if mode else {})}
    status, _, page = await owner.post("/merchant/developers/webhooks", form)
    assert status == 200, page
    secret = SECRET.search(page)
    assert secret is not None
    hook.secret = secret.group(0)


async def _invoice_event(api: ApiClient) -> dict[str, Any]:
    created = await api.post("/v1/invoices", {"amount": 10_000, "currency": "KZT"})
    assert created.status == 200, created.body
    listing = await api.get("/v1/events", params={"invoice": created.body["id"]})
    [event] = listing.body["data"]
    return dict(event)


async def _delivered(pool: asyncpg.Pool, event_id: str) -> list[str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT endpoint_id FROM webhook_deliveries WHERE event_id = $1",
                                event_id)
    return [row["endpoint_id"] for row in rows]


async def _endpoint_ids(pool: asyncpg.Pool, merchant_id: str) -> dict[bool, str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT id, livemode FROM webhook_endpoints "
                                "WHERE merchant_id = $1", merchant_id)
    return {row["livemode"]: row["id"] for row in rows}


async def _audited_modes(pool: asyncpg.Pool, merchant_id: str) -> list[bool]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT after FROM merchant_audit_log WHERE merchant_id = $1 "
                                "AND action = 'webhook_endpoint.create' ORDER BY id",
                                merchant_id)
    return [json.loads(row["after"])["livemode"] if isinstance(row["after"], str)
            else row["after"]["livemode"] for row in rows]


def _rows_with(page: str, text: str) -> list[str]:
    return [row for row in ROW.findall(page) if text in row]


async def test_a_test_endpoint_made_on_the_portal_gets_test_events_only(
        pg_server_url: str) -> None:
    url = await fresh_database(pg_server_url, "ccp_portal_modes")
    async with (database_pool(url) as pool, serve_app(settings_for(url)) as base,
                run_receiver(Receiver()) as test_hook, run_receiver(Receiver()) as live_hook,
                aiohttp.ClientSession() as http):
        async with pool.acquire() as conn:
            shop = await make_merchant(conn)
            test_key = (await issue_api_key(conn, shop.id, PEPPER, livemode=False)).secret
        owner = client(base)
        try:
            await owner.sign_in(await make_user(pool, shop.id, Role.OWNER))
            await owner.get("/merchant/developers")
            status, _, _ = await owner.post("/merchant/developers/webhooks",
                                            {"url": test_hook.url, "event": "*",
                                             "mode": "test"}, csrf=False)
            assert status == 403 and await _endpoint_ids(pool, shop.id) == {}
            await _add_endpoint(owner, test_hook, "test")
            await _add_endpoint(owner, live_hook, None)  # Live is the default
            endpoints = await _endpoint_ids(pool, shop.id)
            assert set(endpoints) == {True, False}
            assert await _audited_modes(pool, shop.id) == [False, True]

            test_event = await _invoice_event(ApiClient(http, base, test_key))
            live_event = await _invoice_event(ApiClient(http, base, shop.api_key))
            assert (test_event["livemode"], live_event["livemode"]) == (False, True)
            for hook, event in ((test_hook, test_event), (live_hook, live_event)):
                await eventually(lambda h=hook, e=event: _arrived(h, e["id"], 1),
                                 what=f"{event['id']} at its endpoint")
            assert await _delivered(pool, test_event["id"]) == [endpoints[False]]
            assert await _delivered(pool, live_event["id"]) == [endpoints[True]]
            [received] = test_hook.requests
            assert received["valid"] and received["event"]["livemode"] is False
            assert received["event"]["data"]["livemode"] is False
            assert [r["event"]["id"] for r in live_hook.requests] == [live_event["id"]]

            for lang, badge in BADGES.items():
                _, page = await owner.get(f"/merchant/developers?lang={lang}")
                [test_row] = _rows_with(page, f"/webhooks/{endpoints[False]}/")
                [live_row] = _rows_with(page, f"/webhooks/{endpoints[True]}/")
                assert badge in test_row and "data-mode" not in live_row, lang
                [test_delivery] = _rows_with(page, f"/events/{test_event['id']}/")
                [live_delivery] = _rows_with(page, f"/events/{live_event['id']}/")
                assert badge in test_delivery and "data-mode" not in live_delivery, lang

            status, location, _ = await owner.post(
                f"/merchant/developers/events/{test_event['id']}/redeliver", {})
            assert (status, location) == (303, "/merchant/developers")
            await eventually(lambda: _arrived(test_hook, test_event["id"], 2),
                             what="the redelivered test event")
            assert await _delivered(pool, test_event["id"]) == [endpoints[False]] * 2
            assert [r["event"]["id"] for r in live_hook.requests] == [live_event["id"]]
        finally:
            await owner.http.close()


async def _arrived(hook: Receiver, event_id: str, times: int) -> bool:
    return hook.successes(event_id) == times
