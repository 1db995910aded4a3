"""The merchant refund API over HTTP on the shared app (REFUND_AUTO_APPROVE_MAX is 0 there:
every refund with an address waits for approval). Figures: see test_service.py."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from gateway.config import Settings
from gateway.merchants import service as merchants
from gateway.transfers.sink import TransferSink
from tests.api.helpers import assert_error, assert_valid
from tests.plugins.app import ApiClient
from tests.refunds.helpers import (
    bsc_address,
    new_invoice,
    overpaid_invoice,
    partial_expired_invoice,
    pay,
)


def _refunds(invoice_id: str) -> str:
    return f"/v1/invoices/{invoice_id}/refunds"


async def _created(client: ApiClient, invoice_id: str, body: dict[str, Any] | None = None,
                   **kwargs: Any) -> dict[str, Any]:
    response = await client.post(_refunds(invoice_id), body or {}, **kwargs)
    assert response.status == 200, response.body
    assert_valid("Refund", response.body)
    refund: dict[str, Any] = response.body
    return refund


async def test_the_three_shapes(merchant_client: tuple[str, ApiClient], sink: TransferSink,
                                db_pool: asyncpg.Pool, app_settings: Settings) -> None:
    client = merchant_client[1]
    overpaid = await overpaid_invoice(client, sink)
    address = bsc_address()
    excess = await _created(client, overpaid["id"], {"address": address, "reason": "over"})
    assert {k: excess[k] for k in ("object", "invoice", "amount", "asset_id", "chain",
                                   "amount_units", "address", "status", "claim_url",
                                   "livemode", "reason", "rate")} == {
        "object": "refund", "invoice": overpaid["id"], "amount": 15_000, "asset_id": "BNB",
        "chain": "bsc", "amount_units": "500000000000000", "address": address,
        "status": "pending_approval", "claim_url": None, "livemode": True, "reason": "over",
        "rate": None}
    # A merchant-funded part of the settled sale, at the locked rate.
    sale = await _created(client, overpaid["id"], {"amount": 30_000, "rate": "locked",
                                                   "address": bsc_address()})
    assert (sale["amount"], sale["amount_units"], sale["rate"], sale["rate_kind"]) == \
        (30_000, "1000000000000000", "300000", "locked")  # 300 KZT / 300,000 KZT per BNB
    expired = await partial_expired_invoice(client, sink, db_pool)
    waiting = await _created(client, expired["id"])
    assert waiting["status"] == "awaiting_address" and waiting["address"] is None
    token = await db_pool.fetchval("SELECT claim_token FROM refunds WHERE id = $1",
                                   waiting["id"])
    assert waiting["claim_url"] == f"{app_settings.public_url}/refunds/claim/{token}"
    fetched = await client.get(f"/v1/refunds/{waiting['id']}")
    assert fetched.status == 200 and fetched.body == waiting


async def test_same_idempotency_key_same_refund(
        merchant_client: tuple[str, ApiClient], sink: TransferSink,
        db_pool: asyncpg.Pool) -> None:
    client = merchant_client[1]
    invoice = await partial_expired_invoice(client, sink, db_pool)
    body = {"amount": 10_000, "address": bsc_address()}
    first = await client.post(_refunds(invoice["id"]), body, idempotency_key="rf-1")
    again = await client.post(_refunds(invoice["id"]), body, idempotency_key="rf-1")
    assert first.status == again.status == 200
    assert again.body == first.body and again.headers.get("Idempotent-Replayed") == "true"
    assert await db_pool.fetchval("SELECT count(*) FROM refunds WHERE invoice_id = $1",
                                  invoice["id"]) == 1
    other = await client.post(_refunds(invoice["id"]), {"amount": 10_001},
                              idempotency_key="rf-1")
    assert_error(other, 422, "idempotency_key_reused")


async def test_refusals_are_precise(merchant_client: tuple[str, ApiClient], sink: TransferSink,
                                    db_pool: asyncpg.Pool) -> None:
    client = merchant_client[1]
    unpaid = await new_invoice(client)
    assert_error(await client.post(_refunds(unpaid["id"]), {}), 422, "nothing_refundable")
    expired = await partial_expired_invoice(client, sink, db_pool)
    path = _refunds(expired["id"])
    assert_error(await client.post(path, {"amount": 60_001}), 422,
                 "refund_exceeds_refundable", "amount")
    assert_error(await client.post(path, {"address": bsc_address().lower()}), 422,
                 "invalid_address", "address")
    assert_error(await client.post(path, {"address": "not an address"}), 422,
                 "invalid_address", "address")
    assert_error(await client.post(path, {"amount": 1.5}), 400, "invalid_type", "amount")
    assert_error(await client.post(path, {"amount": 0}), 400, "parameter_out_of_range",
                 "amount")
    assert_error(await client.post(path, {"rate": "yesterday"}), 400, "invalid_request", "rate")
    assert_error(await client.post(path, {"asset_id": "DOGE"}), 400, "unknown_asset",
                 "asset_id")
    assert_error(await client.post(path, {"to": "x"}), 400, "unknown_parameter", "to")
    assert_error(await client.post(_refunds("inv_doesnotexist12345"), {}), 404,
                 "resource_missing")
    assert_error(await client.get("/v1/refunds/rfd_doesnotexist12345"), 404,
                 "resource_missing")
    assert await db_pool.fetchval("SELECT count(*) FROM refunds WHERE invoice_id = ANY($1)",
                                  [unpaid["id"], expired["id"]]) == 0


async def test_cancel(merchant_client: tuple[str, ApiClient], sink: TransferSink,
                      db_pool: asyncpg.Pool,
                      api_client: Callable[..., ApiClient],
                      make_api_key: Callable[..., Awaitable[str]]) -> None:
    client = merchant_client[1]
    invoice = await partial_expired_invoice(client, sink, db_pool)
    refund = await _created(client, invoice["id"])
    stranger = api_client(await make_api_key())
    assert_error(await stranger.post(f"/v1/refunds/{refund['id']}/cancel", {}), 404,
                 "resource_missing")
    cancelled = await client.post(f"/v1/refunds/{refund['id']}/cancel", {})
    assert cancelled.status == 200 and cancelled.body["status"] == "cancelled"
    assert_error(await client.post(f"/v1/refunds/{refund['id']}/cancel", {}), 409,
                 "refund_not_cancellable")


async def test_list_pages_and_filters(merchant_client: tuple[str, ApiClient],
                                      sink: TransferSink, db_pool: asyncpg.Pool) -> None:
    client = merchant_client[1]
    one = await partial_expired_invoice(client, sink, db_pool)
    two = await partial_expired_invoice(client, sink, db_pool)
    ids = [(await _created(client, one["id"], {"amount": 1_000}))["id"] for _ in range(3)]
    ids.append((await _created(client, two["id"], {"amount": 1_000,
                                                    "address": bsc_address()}))["id"])
    first = await client.get("/v1/refunds", params={"limit": "3"})
    assert first.status == 200 and first.body["has_more"] is True
    assert_valid("RefundList", first.body)
    last = first.body["data"][-1]["id"]
    rest = await client.get("/v1/refunds", params={"limit": "3", "starting_after": last})
    assert rest.body["has_more"] is False
    assert [r["id"] for r in first.body["data"] + rest.body["data"]] == ids[::-1]
    of_one = await client.get("/v1/refunds", params={"invoice": one["id"]})
    assert [r["id"] for r in of_one.body["data"]] == ids[2::-1]
    pending = await client.get("/v1/refunds", params={"status": "pending_approval"})
    assert [r["id"] for r in pending.body["data"]] == [ids[3]]
    assert_error(await client.get("/v1/refunds", params={"status": "lost"}), 400,
                 "invalid_request", "status")
    assert_error(await client.get("/v1/refunds", params={"starting_after": "rfd_nope1234"}),
                 404, "resource_missing", "starting_after")


async def test_test_mode_refunds_are_not_live(
        merchant_client: tuple[str, ApiClient], sink: TransferSink, db_pool: asyncpg.Pool,
        api_client: Callable[..., ApiClient], app_settings: Settings) -> None:
    async with db_pool.acquire() as conn:
        issued = await merchants.issue_api_key(conn, merchant_client[0],
                                               app_settings.api_key_pepper, livemode=False)
    client = api_client(issued.secret)
    invoice = await new_invoice(client)
    assert invoice["livemode"] is False
    await pay(sink, invoice, 6 * 10**15)
    refund = await _created(client, invoice["id"])
    assert (refund["livemode"], refund["amount"]) == (False, 30_000)


async def test_refund_created_event_carries_the_refund(
        merchant_client: tuple[str, ApiClient], sink: TransferSink,
        db_pool: asyncpg.Pool) -> None:
    merchant_id, client = merchant_client
    invoice = await partial_expired_invoice(client, sink, db_pool)
    refund = await _created(client, invoice["id"])
    rows = await db_pool.fetch("SELECT type, data FROM events WHERE merchant_id = $1 "
                               "AND type LIKE 'refund.%'", merchant_id)
    assert [(r["type"], r["data"]) for r in rows] == [("refund.created", refund)]
    listed = await client.get("/v1/events", params={"type": "refund.created"})
    assert listed.status == 200 and listed.body["data"][0]["data"] == refund


async def test_amount_refundable_drops_and_lists_the_refunds(
        merchant_client: tuple[str, ApiClient], sink: TransferSink,
        db_pool: asyncpg.Pool) -> None:
    client = merchant_client[1]
    invoice = await partial_expired_invoice(client, sink, db_pool)
    before = (await client.get(f"/v1/invoices/{invoice['id']}")).body
    assert (before["amount_refundable"], before["refunds"]) == (60_000, [])
    part = await _created(client, invoice["id"], {"amount": 20_000})
    after = await client.get(f"/v1/invoices/{invoice['id']}")
    assert_valid("Invoice", after.body)
    assert (after.body["amount_refundable"], after.body["refunds"]) == (40_000, [part["id"]])
    rest = await _created(client, invoice["id"])
    assert rest["amount"] == 40_000
    listed = (await client.get("/v1/invoices", params={"limit": "5"})).body["data"]
    mine = next(i for i in listed if i["id"] == invoice["id"])
    assert (mine["amount_refundable"], mine["refunds"]) == (0, [part["id"], rest["id"]])
    await client.post(f"/v1/refunds/{part['id']}/cancel", {})
    released = (await client.get(f"/v1/invoices/{invoice['id']}")).body
    assert released["amount_refundable"] == 20_000  # a cancelled refund holds nothing


async def test_parallel_refunds_of_everything_one_wins(
        merchant_client: tuple[str, ApiClient], sink: TransferSink,
        db_pool: asyncpg.Pool) -> None:
    client = merchant_client[1]
    invoice = await partial_expired_invoice(client, sink, db_pool)
    answers = await asyncio.gather(*(
        client.post(_refunds(invoice["id"]), {}, idempotency_key=f"par-{n}") for n in range(2)))
    assert sorted(a.status for a in answers) == [200, 422]
    refused = next(a for a in answers if a.status == 422)
    assert refused.error_code == "nothing_refundable"
    assert await db_pool.fetchval("SELECT count(*) FROM refunds WHERE invoice_id = $1",
                                  invoice["id"]) == 1
