"""Decisions on the exceptions queue: accept books a stranded payment as the sale (`marked`),
assign hands an unmatched payment to an invoice, refund sets an item aside; all audited; the
admin JSON API serves the queue."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import aiohttp
import asyncpg
import pytest

from gateway.admin import auth
from gateway.admin.audit import Actor
from gateway.admin.exceptions import service
from gateway.chains.facts import Facts
from gateway.errors import Conflict, InvalidRequest, NotFound
from gateway.lifecycle.service import apply_invoices
from gateway.transfers.sink import TransferSink
from tests.admin.exceptions.test_queue import FLOORS, _expire, _invoice, _items, _pay, _tiyn
from tests.admin.test_api_access import bearer, make_user, token_of
from tests.plugins.app import ApiClient, RunningApp
from tests.plugins.watchers import entry_count

ACTOR = Actor(None, "exceptions-test")


async def _audited(pool: asyncpg.Pool, key: str) -> list[str]:
    rows = await pool.fetch("SELECT action FROM admin_audit_log WHERE target_id = $1", key)
    return [r["action"] for r in rows]


async def test_accept_books_a_partial_payment_as_the_sale(client: ApiClient,
                                                          db_pool: asyncpg.Pool) -> None:
    invoice = await _invoice(client, amount=100_000)
    option = invoice["payment_options"][0]
    units, rate = int(option["amount_units"]), option["rate"]
    part = _pay(invoice, units // 2)
    await TransferSink(db_pool, apply_invoices).emit(
        Facts("bsc", seen=[part], final=[part.tx_hash]))
    await _expire(db_pool, invoice["id"])
    [item] = await _items(db_pool, invoice_id=invoice["id"])
    async with db_pool.acquire() as conn:
        done = await service.decide(conn, ACTOR, item.key, "accept")
    value = _tiyn(units // 2, rate)
    assert done == {"key": item.key, "action": "accept", "invoice_id": invoice["id"],
                    "status": "settled", "exception": "marked", "amount_paid": value}
    assert await _items(db_pool, invoice_id=invoice["id"]) == []
    # Booked at the locked rate: the merchant's KZT leg is the value received.
    kzt = await db_pool.fetchval(
        "SELECT sum(p.amount) FROM postings p JOIN journal_entries e ON e.id = p.entry_id "
        "WHERE e.idempotency_key LIKE '%' || $1 || '%' AND p.currency = 'KZT' "
        "AND p.direction = 'credit'", invoice["id"])
    assert kzt == value
    assert await _audited(db_pool, item.key) == ["exception.accept"]
    body = (await client.get(f"/v1/invoices/{invoice['id']}")).body
    assert body["payments"][0]["counted"] is True and body["amount_refundable"] == 0


async def test_refund_sets_an_overpayment_aside_once(client: ApiClient,
                                                     db_pool: asyncpg.Pool) -> None:
    invoice = await _invoice(client)
    units = int(invoice["payment_options"][0]["amount_units"])
    over = _pay(invoice, units * 3 // 2)
    await TransferSink(db_pool, apply_invoices).emit(
        Facts("bsc", seen=[over], final=[over.tx_hash]))
    key = f"ov_{invoice['id']}"
    async with db_pool.acquire() as conn:
        done = await service.decide(conn, ACTOR, key, "refund", "excess back to sender")
        assert (done["key"], done["action"]) == (key, "refund")
        with pytest.raises(Conflict):
            await service.decide(conn, ACTOR, key, "refund")
        with pytest.raises(Conflict):  # only stranded payments join a sale
            await service.decide(conn, ACTOR, key, "accept")
    [item] = await _items(db_pool, invoice_id=invoice["id"])
    assert item.decision == "refund"
    assert await _items(db_pool, invoice_id=invoice["id"], decided=False) == []
    assert await _audited(db_pool, key) == ["exception.refund"]


async def test_admin_api_serves_the_queue(app_server: RunningApp, db_pool: asyncpg.Pool,
                                          http_session: aiohttp.ClientSession) -> None:
    token = await token_of(db_pool, await make_user(db_pool, auth.Role.OPERATOR))
    url = f"{app_server.url}/admin/api/exceptions?limit=2&kind=overpaid"
    async with http_session.get(url, headers=bearer(token.secret)) as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
    assert body["object"] == "list" and len(body["data"]) <= 2
    assert all(i["kind"] == "overpaid" and i["age_seconds"] >= 0 for i in body["data"])
    bad = f"{app_server.url}/admin/api/exceptions?kind=nope"
    async with http_session.get(bad, headers=bearer(token.secret)) as response:
        assert response.status == 400
    assert FLOORS  # the same floors type the settings carry


async def test_assign_hands_an_unmatched_payment_to_an_invoice(
        client: ApiClient, db_pool: asyncpg.Pool) -> None:
    """What the old unmatched-payments page did, on the queue: a payment with no invoice is
    assigned to an open invoice, which it pays in full (settled, booked); audited."""
    invoice = await _invoice(client, amount=100_000)
    units = int(invoice["payment_options"][0]["amount_units"])
    stray = replace(_pay(invoice, units), invoice_id=None)
    await TransferSink(db_pool, apply_invoices).emit(
        Facts("bsc", seen=[stray], final=[stray.tx_hash]))
    [item] = [i for i in await _items(db_pool, kind="unmatched", decided=False)
              if i.tx == stray.tx_hash]
    assert item.actions == ("assign", "refund")
    async with db_pool.acquire() as conn:
        with pytest.raises(InvalidRequest):
            await service.decide(conn, ACTOR, item.key, "assign")
        with pytest.raises(NotFound):
            await service.decide(conn, ACTOR, item.key, "assign", invoice_id="inv_nope")
        with pytest.raises(Conflict):  # assign is for payments, not differences
            await service.decide(conn, ACTOR, f"ov_{invoice['id']}", "assign",
                                 invoice_id=invoice["id"])
        done = await service.decide(conn, ACTOR, item.key, "assign", "paid from an exchange",
                                    invoice_id=invoice["id"])
    assert (done["action"], done["invoice_id"], done["invoice_status"]) == (
        "assign", invoice["id"], "settled")
    assert await _items(db_pool, invoice_id=invoice["id"]) == []  # credited: part of a sale
    assert await entry_count(db_pool, invoice["id"]) == 1
    assert await _audited(db_pool, item.key) == ["exception.assign"]
