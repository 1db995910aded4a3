"""Test mode and live mode are kept apart (issue 13, point 3): a key sees and acts only on
objects of its own mode; an object of the other mode is 404 `resource_missing` exactly like an
unknown id, and lists, filters and cursors only ever return the key's mode."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from gateway.events.outbox import fan_out
from gateway.lifecycle.service import apply_invoices
from gateway.transfers.sink import TransferSink
from tests.api.helpers import assert_error, invoice_body
from tests.plugins.app import ApiClient
from tests.refunds.helpers import overpaid_invoice

KeyFactory = Callable[..., Awaitable[str]]


@dataclass(frozen=True)
class Modes:
    """One merchant's live and test clients."""

    merchant_id: str
    live: ApiClient
    test: ApiClient

    def pairs(self) -> list[tuple[ApiClient, ApiClient]]:
        """(owner, other mode) both ways round."""
        return [(self.live, self.test), (self.test, self.live)]


@pytest.fixture
async def modes(api_client: Callable[..., ApiClient], make_merchant: Callable[..., Awaitable[str]],
                make_api_key: KeyFactory) -> Modes:
    merchant_id = await make_merchant()
    return Modes(merchant_id, api_client(await make_api_key(merchant_id)),
                 api_client(await make_api_key(merchant_id, livemode=False)))


async def _invoice(client: ApiClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/v1/invoices", invoice_body(**overrides))
    assert response.status == 200, response.body
    return dict(response.body)


def _ids(listing: Any) -> list[str]:
    return [item["id"] for item in listing.body["data"]]


async def test_invoice_of_the_other_mode_is_missing(modes: Modes) -> None:
    for owner, other in modes.pairs():
        invoice = await _invoice(owner)
        assert (await owner.get(f"/v1/invoices/{invoice['id']}")).status == 200
        missing = await other.get(f"/v1/invoices/{invoice['id']}")
        unknown = await other.get("/v1/invoices/inv_xxxxxxxxxxxxxxxx")
        assert_error(missing, 404, "resource_missing", "id")
        # No hint that it exists: the same answer as an unknown id, bar the id it names.
        assert missing.body["error"]["message"].replace(invoice["id"], "?") == \
            unknown.body["error"]["message"].replace("inv_xxxxxxxxxxxxxxxx", "?")


async def test_invoice_lists_filters_and_cursors_keep_to_the_mode(modes: Modes) -> None:
    live = await _invoice(modes.live, order_id="SAME")
    test = await _invoice(modes.test, order_id="SAME")
    assert (live["livemode"], test["livemode"]) == (True, False)
    for client, own, foreign in ((modes.live, live, test), (modes.test, test, live)):
        assert _ids(await client.get("/v1/invoices")) == [own["id"]]
        assert _ids(await client.get("/v1/invoices", params={"order_id": "SAME"})) == [own["id"]]
        assert _ids(await client.get("/v1/invoices", params={"status": "new"})) == [own["id"]]
        assert_error(await client.get("/v1/invoices", params={"starting_after": foreign["id"]}),
                     404, "resource_missing", "starting_after")


async def test_cancel_of_the_other_mode_is_missing(modes: Modes) -> None:
    for owner, other in modes.pairs():
        invoice = await _invoice(owner)
        assert_error(await other.post(f"/v1/invoices/{invoice['id']}/cancel"), 404,
                     "resource_missing", "id")
        assert (await owner.get(f"/v1/invoices/{invoice['id']}")).body["status"] == "new"
        cancelled = await owner.post(f"/v1/invoices/{invoice['id']}/cancel")
        assert cancelled.status == 200 and cancelled.body["status"] == "cancelled"


async def test_live_stream_of_the_other_mode_is_missing(modes: Modes) -> None:
    for owner, other in modes.pairs():
        invoice = await _invoice(owner)
        assert (await other.get(f"/v1/invoices/{invoice['id']}/events")).status == 404



async def test_refunds_keep_to_the_mode(modes: Modes, db_pool: asyncpg.Pool) -> None:
    sink = TransferSink(db_pool, apply_invoices)
    for owner, other in modes.pairs():
        invoice = await overpaid_invoice(owner, sink)
        # The other mode cannot refund the invoice (it does not exist there).
        assert_error(await other.post(f"/v1/invoices/{invoice['id']}/refunds", {}), 404,
                     "resource_missing", "id")
        created = await owner.post(f"/v1/invoices/{invoice['id']}/refunds", {})
        assert created.status == 200, created.body
        refund = created.body
        assert refund["livemode"] is invoice["livemode"]
        assert_error(await other.get(f"/v1/refunds/{refund['id']}"), 404, "resource_missing",
                     "id")
        assert refund["id"] not in _ids(await other.get("/v1/refunds"))
        assert _ids(await other.get("/v1/refunds", params={"invoice": invoice["id"]})) == []
        assert_error(await other.get("/v1/refunds", params={"starting_after": refund["id"]}),
                     404, "resource_missing", "starting_after")
        assert_error(await other.post(f"/v1/refunds/{refund['id']}/cancel"), 404,
                     "resource_missing", "id")
        assert _ids(await owner.get("/v1/refunds", params={"invoice": invoice["id"]})) == \
            [refund["id"]]
        cancelled = await owner.post(f"/v1/refunds/{refund['id']}/cancel")
        assert cancelled.status == 200 and cancelled.body["status"] == "cancelled"


HOOK = {"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]}


async def _endpoint(client: ApiClient) -> dict[str, Any]:
    response = await client.post("/v1/webhook_endpoints", HOOK)
    assert response.status == 200, response.body
    return dict(response.body)


async def test_webhook_endpoints_keep_to_the_mode(modes: Modes) -> None:
    for owner, other in modes.pairs():
        endpoint = await _endpoint(owner)
        path = f"/v1/webhook_endpoints/{endpoint['id']}"
        assert endpoint["livemode"] is (owner is modes.live)
        assert_error(await other.get(path), 404, "resource_missing", "id")
        assert endpoint["id"] not in _ids(await other.get("/v1/webhook_endpoints"))
        assert_error(await other.get("/v1/webhook_endpoints",
                                     params={"starting_after": endpoint["id"]}),
                     404, "resource_missing", "starting_after")
        assert_error(await other.request("DELETE", path), 404, "resource_missing", "id")
        assert _ids(await owner.get("/v1/webhook_endpoints")) == [endpoint["id"]]
        assert (await owner.request("DELETE", path)).body["deleted"] is True


async def _event_of(client: ApiClient, invoice: dict[str, Any]) -> dict[str, Any]:
    listing = await client.get("/v1/events", params={"invoice": invoice["id"]})
    assert len(listing.body["data"]) == 1, listing.body
    return dict(listing.body["data"][0])


async def test_events_keep_to_the_mode(modes: Modes) -> None:
    for owner, other in modes.pairs():
        invoice = await _invoice(owner)
        event = await _event_of(owner, invoice)
        assert event["livemode"] is invoice["livemode"]
        path = f"/v1/events/{event['id']}"
        assert (await owner.get(path)).status == 200
        assert_error(await other.get(path), 404, "resource_missing", "id")
        assert event["id"] not in _ids(await other.get("/v1/events"))
        assert _ids(await other.get("/v1/events", params={"invoice": invoice["id"]})) == []
        assert_error(await other.get("/v1/events", params={"starting_after": event["id"]}),
                     404, "resource_missing", "starting_after")
        assert_error(await other.post(f"{path}/redeliver"), 404, "resource_missing", "id")
        # Nor may a key name an endpoint of the other mode for its own event.
        foreign = await _endpoint(other)
        assert_error(await owner.post(f"{path}/redeliver", {"endpoint": foreign["id"]}), 404,
                     "resource_missing", "endpoint")


async def _delivered_to(pool: asyncpg.Pool, event_id: str) -> set[str]:
    """The endpoints the event was fanned out to (fanning it out here if no worker has)."""
    async with pool.acquire() as conn:
        for _ in range(100):
            if not await conn.fetchval("SELECT fan_out_pending FROM events WHERE id = $1",
                                       event_id):
                break
            await fan_out(conn, limit=1000)
        rows = await conn.fetch("SELECT endpoint_id FROM webhook_deliveries WHERE event_id = $1",
                                event_id)
    return {row["endpoint_id"] for row in rows}


async def test_events_go_to_endpoints_of_their_mode_only(modes: Modes,
                                                         db_pool: asyncpg.Pool) -> None:
    live_hook, test_hook = await _endpoint(modes.live), await _endpoint(modes.test)
    for client, hook in ((modes.test, test_hook), (modes.live, live_hook)):
        event = await _event_of(client, await _invoice(client))
        assert await _delivered_to(db_pool, event["id"]) == {hook["id"]}
        redelivered = await client.post(f"/v1/events/{event['id']}/redeliver")
        assert redelivered.status == 200 and len(redelivered.body["deliveries"]) == 1
        assert await _delivered_to(db_pool, event["id"]) == {hook["id"]}


async def test_one_idempotency_key_in_both_modes_makes_two_invoices(modes: Modes) -> None:
    key = secrets.token_hex(8)
    live = await modes.live.post("/v1/invoices", invoice_body(), idempotency_key=key)
    test = await modes.test.post("/v1/invoices", invoice_body(), idempotency_key=key)
    assert live.status == test.status == 200
    assert "Idempotent-Replayed" not in test.headers
    assert (live.body["livemode"], test.body["livemode"]) == (True, False)
    assert live.body["id"] != test.body["id"]
    # Each mode still replays its own.
    again = await modes.test.post("/v1/invoices", invoice_body(), idempotency_key=key)
    assert again.headers["Idempotent-Replayed"] == "true" and again.body["id"] == test.body["id"]
