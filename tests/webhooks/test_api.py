"""/v1/webhook_endpoints and /v1/events over HTTP, against a running app and receiver."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

import aiohttp
import asyncpg
import pytest

from gateway.events.outbox import emit
from tests.plugins.eventually import eventually
from tests.webhooks.support import (
    FAST_WEBHOOKS,
    Receiver,
    ShopMerchant,
    get_json,
    invoice_data,
    make_merchant,
    run_receiver,
    serve_app,
    settings_for,
)


@pytest.fixture
async def api(own_db_url: str) -> AsyncIterator[str]:
    # A long poll interval: a delivery arriving quickly proves NOTIFY woke the worker.
    slow_poll = replace(FAST_WEBHOOKS, poll_interval=Decimal(60))
    async with serve_app(settings_for(own_db_url, webhooks=slow_poll)) as base:
        yield base


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(http: aiohttp.ClientSession, url: str, merchant: ShopMerchant,
               body: Mapping[str, object], **headers: str) -> tuple[int, Any]:
    async with http.post(url, json=body, headers={**merchant.headers, **headers}) as resp:
        return resp.status, await resp.json()


async def test_endpoint_lifecycle_and_notify_driven_delivery(
    api: str, http: aiohttp.ClientSession, own_conn: asyncpg.Connection
) -> None:
    merchant = await make_merchant(own_conn)
    async with run_receiver(Receiver()) as receiver:
        status, created = await post(http, f"{api}/v1/webhook_endpoints", merchant, {
            "url": receiver.url, "enabled_events": ["invoice.settled"], "description": "shop"})
        assert status == 200, created
        assert str(created["secret"]).startswith("whsec_")
        receiver.secret = str(created["secret"])
        status, fetched = await get_json(
            http, f"{api}/v1/webhook_endpoints/{created['id']}", headers=merchant.headers)
        assert status == 200 and "secret" not in fetched
        assert fetched == {k: v for k, v in created.items() if k != "secret"}

        event_id = await emit(own_conn, merchant_id=merchant.id, type="invoice.settled",
                              data=invoice_data("inv_" + secrets.token_hex(8)))

        async def arrived() -> bool:
            return receiver.successes(event_id) == 1
        await eventually(arrived, timeout=5)

        async with http.delete(f"{api}/v1/webhook_endpoints/{created['id']}",
                               headers=merchant.headers) as resp:
            assert resp.status == 200 and (await resp.json())["deleted"] is True
        status, _ = await get_json(http, f"{api}/v1/webhook_endpoints/{created['id']}",
                                   headers=merchant.headers)
        assert status == 404
    assert receiver.requests[0]["valid"]


async def test_idempotent_create_replays_the_same_endpoint(
    api: str, http: aiohttp.ClientSession, own_conn: asyncpg.Connection
) -> None:
    merchant = await make_merchant(own_conn)
    body = {"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]}
    key = {"Idempotency-Key": secrets.token_hex(8)}
    first = await post(http, f"{api}/v1/webhook_endpoints", merchant, body, **key)
    second = await post(http, f"{api}/v1/webhook_endpoints", merchant, body, **key)
    # The same endpoint; the secret is shown once, so the replay leaves it out.
    assert first[0] == second[0] == 200 and "secret" in first[1]
    assert second[1] == {k: v for k, v in first[1].items() if k != "secret"}
    status, page = await get_json(http, f"{api}/v1/webhook_endpoints",
                                  headers=merchant.headers)
    assert status == 200 and [e["id"] for e in page["data"]] == [first[1]["id"]]


@pytest.mark.parametrize("body", [
    {"enabled_events": ["*"]},
    {"url": "http://127.0.0.1:9/", "enabled_events": []},
    {"url": "http://127.0.0.1:9/", "enabled_events": ["invoice.nope"]},
    {"url": "http://127.0.0.1:9/", "enabled_events": ["*"], "description": 5},
])
async def test_create_validation(api: str, http: aiohttp.ClientSession,
                                 own_conn: asyncpg.Connection, body: dict[str, object]) -> None:
    status, answer = await post(http, f"{api}/v1/webhook_endpoints",
                                await make_merchant(own_conn), body)
    assert status == 400 and answer["error"]["type"] == "invalid_request_error"


REFUSED_OUTSIDE_DEV = (
    "http://93.184.216.34/hook", "https://127.0.0.1/hook", "https://localhost/hook",
    "https://10.1.2.3/hook", "https://192.168.1.10/hook", "https://169.254.169.254/",
    "https://[::1]/hook", "https://[fd00:ec2::254]/", "https://[::ffff:10.0.0.1]/",
    "https://100.64.0.9/",
)


async def test_url_guard_outside_dev(own_db_url: str, http: aiohttp.ClientSession,
                                     own_conn: asyncpg.Connection) -> None:
    merchant = await make_merchant(own_conn)
    settings = dataclasses.replace(settings_for(own_db_url), env="prod",
                                   webhooks=replace(FAST_WEBHOOKS, worker=False))
    async with serve_app(settings) as base:
        for url in REFUSED_OUTSIDE_DEV:
            status, answer = await post(http, f"{base}/v1/webhook_endpoints", merchant,
                                        {"url": url, "enabled_events": ["*"]})
            assert status == 400, url
            assert answer["error"]["code"] == "url_not_allowed"
            assert answer["error"]["param"] == "url"
        ok, _ = await post(http, f"{base}/v1/webhook_endpoints", merchant,
                           {"url": "https://93.184.216.34/hook", "enabled_events": ["*"]})
        assert ok == 200


async def test_events_pagination_filters_and_cross_merchant_404(
    api: str, http: aiohttp.ClientSession, own_conn: asyncpg.Connection
) -> None:
    merchant, other = await make_merchant(own_conn), await make_merchant(own_conn)
    invoice_a, invoice_b = "inv_" + secrets.token_hex(8), "inv_" + secrets.token_hex(8)
    emitted = []
    for invoice, type in [(invoice_a, "invoice.created"), (invoice_b, "invoice.created"),
                          (invoice_a, "invoice.processing"), (invoice_a, "invoice.settled"),
                          (invoice_b, "invoice.expired")]:
        emitted.append(await emit(own_conn, merchant_id=merchant.id, type=type,
                                  data=invoice_data(invoice)))
    newest_first = emitted[::-1]
    seen: list[str] = []
    url = f"{api}/v1/events?limit=2"
    while True:
        status, page = await get_json(http, url, headers=merchant.headers)
        assert status == 200 and page["object"] == "list"
        seen += [e["id"] for e in page["data"]]
        if not page["has_more"]:
            break
        url = f"{api}/v1/events?limit=2&starting_after={page['data'][-1]['id']}"
    assert seen == newest_first

    _, by_invoice = await get_json(http, f"{api}/v1/events?invoice={invoice_a}",
                                   headers=merchant.headers)
    assert [e["type"] for e in by_invoice["data"]] == [
        "invoice.settled", "invoice.processing", "invoice.created"]
    _, by_type = await get_json(http, f"{api}/v1/events?type=invoice.created",
                                headers=merchant.headers)
    assert [e["id"] for e in by_type["data"]] == [emitted[1], emitted[0]]
    assert (await get_json(http, f"{api}/v1/events?type=bogus",
                           headers=merchant.headers))[0] == 400
    assert (await get_json(http, f"{api}/v1/events?starting_after={emitted[0]}",
                           headers=other.headers))[0] == 404

    _, foreign = await get_json(http, f"{api}/v1/events", headers=other.headers)
    assert foreign["data"] == []
    status, missing = await get_json(http, f"{api}/v1/events/{emitted[0]}",
                                     headers=other.headers)
    assert status == 404 and missing["error"]["code"] == "resource_missing"
    status, _ = await post(http, f"{api}/v1/events/{emitted[0]}/redeliver", other, {})
    assert status == 404
    assert (await get_json(http, f"{api}/v1/events"))[0] == 401


async def test_redeliver_to_all_or_one_endpoint_and_event_detail(
    api: str, http: aiohttp.ClientSession, own_conn: asyncpg.Connection
) -> None:
    merchant = await make_merchant(own_conn)
    async with run_receiver(Receiver()) as receiver:
        status, endpoint = await post(http, f"{api}/v1/webhook_endpoints", merchant,
                                      {"url": receiver.url, "enabled_events": ["*"]})
        receiver.secret = str(endpoint["secret"])
        event_id = await emit(own_conn, merchant_id=merchant.id, type="invoice.expired",
                              data=invoice_data("inv_" + secrets.token_hex(8)))

        async def received(n: int) -> bool:
            return receiver.successes(event_id) == n

        await eventually(lambda: received(1), timeout=5)
        status, queued = await post(http, f"{api}/v1/events/{event_id}/redeliver", merchant, {})
        assert status == 200 and len(queued["deliveries"]) == 1
        await eventually(lambda: received(2), timeout=5)
        status, _ = await post(http, f"{api}/v1/events/{event_id}/redeliver", merchant,
                                 {"endpoint": endpoint["id"]})
        assert status == 200
        await eventually(lambda: received(3), timeout=5)
        status, _ = await post(http, f"{api}/v1/events/{event_id}/redeliver", merchant,
                               {"endpoint": "we_doesnotexist"})
        assert status == 404

        async def logged() -> bool:
            _, detail = await get_json(http, f"{api}/v1/events/{event_id}",
                                       headers=merchant.headers)
            return all(d["status"] == "delivered" for d in detail["deliveries"])
        await eventually(logged, timeout=5)
    _, detail = await get_json(http, f"{api}/v1/events/{event_id}", headers=merchant.headers)
    assert detail["type"] == "invoice.expired" and len(detail["deliveries"]) == 3
    for delivery in detail["deliveries"]:
        assert delivery["endpoint"] == endpoint["id"] and delivery["attempt_count"] == 1
        [attempt] = delivery["attempts"]
        assert attempt["status_code"] == 200 and attempt["succeeded"] is True
        assert isinstance(attempt["duration_ms"], int)


async def test_links_stored_as_paths_reach_readers_absolute(
    own_db_url: str, http: aiohttp.ClientSession, own_conn: asyncpg.Connection
) -> None:
    """A writer without the public URL stores its links as paths; the API and the webhook
    resolve them against the settings' public URL."""
    settings = settings_for(own_db_url, webhooks=replace(FAST_WEBHOOKS, poll_interval=Decimal(60)))
    public = settings.public_url
    merchant = await make_merchant(own_conn)
    invoice_id = "inv_" + secrets.token_hex(8)
    data = {**invoice_data(invoice_id), "checkout_url": f"/pay/{invoice_id}"}
    async with serve_app(settings) as api, run_receiver(Receiver()) as receiver:
        _, endpoint = await post(http, f"{api}/v1/webhook_endpoints", merchant,
                                 {"url": receiver.url, "enabled_events": ["*"]})
        receiver.secret = str(endpoint["secret"])
        event_id = await emit(own_conn, merchant_id=merchant.id, type="invoice.expired",
                              data=data)
        await eventually(lambda: _succeeded(receiver, event_id), timeout=5)
        _, listed = await get_json(http, f"{api}/v1/events?invoice={invoice_id}",
                                   headers=merchant.headers)
        _, detail = await get_json(http, f"{api}/v1/events/{event_id}",
                                   headers=merchant.headers)
    absolute = f"{public}/pay/{invoice_id}"
    assert listed["data"][0]["data"]["checkout_url"] == absolute
    assert detail["data"]["checkout_url"] == absolute
    assert receiver.requests[0]["event"]["data"]["checkout_url"] == absolute
    assert await own_conn.fetchval("SELECT data->>'checkout_url' FROM events WHERE id = $1",
                                   event_id) == f"/pay/{invoice_id}"


async def _succeeded(receiver: Receiver, event_id: str) -> bool:
    return receiver.successes(event_id) == 1
