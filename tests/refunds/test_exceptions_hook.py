"""A stranded amount whose units a live refund holds leaves the exceptions queue; a cancelled
refund brings it back."""

from __future__ import annotations

import asyncpg

from gateway.admin import audit
from gateway.admin.exceptions import service as exceptions
from gateway.transfers.sink import TransferSink
from tests.plugins.app import ApiClient
from tests.refunds.helpers import bsc_address, overpaid_invoice, partial_expired_invoice

FLOORS = (("BNB", 10**12),)


async def _kinds(pool: asyncpg.Pool, invoice_id: str) -> list[str]:
    async with pool.acquire() as conn:
        found = await exceptions.page(conn, FLOORS, exceptions.Filters(invoice_id=invoice_id),
                                      None, 500)
    return [item.kind for item in found.items]


async def test_a_refunded_stranded_payment_leaves_the_queue(
        merchant_client: tuple[str, ApiClient], sink: TransferSink,
        db_pool: asyncpg.Pool) -> None:
    client = merchant_client[1]
    invoice = await partial_expired_invoice(client, sink, db_pool)
    assert await _kinds(db_pool, invoice["id"]) == ["stranded"]
    part = await client.post(f"/v1/invoices/{invoice['id']}/refunds", {"amount": 30_000})
    assert await _kinds(db_pool, invoice["id"]) == ["stranded"]  # half is still ours
    rest = await client.post(f"/v1/invoices/{invoice['id']}/refunds", {})
    assert rest.status == 200 and await _kinds(db_pool, invoice["id"]) == []
    await client.post(f"/v1/refunds/{part.body['id']}/cancel", {})
    assert await _kinds(db_pool, invoice["id"]) == ["stranded"]


async def test_a_refunded_overpayment_leaves_the_queue(
        merchant_client: tuple[str, ApiClient], sink: TransferSink,
        db_pool: asyncpg.Pool) -> None:
    client = merchant_client[1]
    invoice = await overpaid_invoice(client, sink)
    assert await _kinds(db_pool, invoice["id"]) == ["overpaid"]
    refund = await client.post(f"/v1/invoices/{invoice['id']}/refunds",
                               {"address": bsc_address()})
    assert refund.status == 200 and await _kinds(db_pool, invoice["id"]) == []


async def test_the_queue_refund_decision_makes_an_awaiting_address_refund(
        merchant_client: tuple[str, ApiClient], sink: TransferSink,
        db_pool: asyncpg.Pool) -> None:
    merchant_id, client = merchant_client
    invoice = await partial_expired_invoice(client, sink, db_pool)
    async with db_pool.acquire() as conn:
        [item] = (await exceptions.page(conn, FLOORS,
                                        exceptions.Filters(invoice_id=invoice["id"]),
                                        None, 10)).items
        done = await exceptions.decide(conn, audit.CLI_ACTOR, item.key, "refund", "asked",
                                       public_url="https://pay.example")
    refund = await client.get(f"/v1/refunds/{done['refund']}")
    assert (refund.body["status"], refund.body["amount"], refund.body["amount_units"]) == \
        ("awaiting_address", 60_000, str(2 * 10**15))
    assert refund.body["reason"] == "asked"
    event = await db_pool.fetchval("SELECT data FROM events WHERE merchant_id = $1 AND "
                                   "type = 'refund.created'", merchant_id)
    assert event["claim_url"].startswith("https://pay.example/refunds/claim/")
    # Still listed, with the decision: it is being refunded.
    async with db_pool.acquire() as conn:
        [after] = (await exceptions.page(conn, FLOORS,
                                         exceptions.Filters(invoice_id=invoice["id"]),
                                         None, 10)).items
    assert after.decision == "refund"
    assert (await client.get(f"/v1/invoices/{invoice['id']}")).body["amount_refundable"] == 0
