"""A booked transfer a resync found gone from its chain is an item of the exceptions queue
(amount, value, age, `acknowledge`), a line of every reconciliation run until an operator
acknowledges it (audited), and no longer expected on its address."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from gateway.admin.audit import Actor
from gateway.admin.exceptions import service as exceptions
from gateway.admin.settlement import service as settlement
from gateway.chains.facts import Facts
from gateway.errors import Conflict, NotFound
from gateway.lifecycle.service import apply_invoices
from gateway.status import service as status
from gateway.transfers.sink import TransferSink
from tests.admin.exceptions.test_queue import FLOORS, _invoice, _items, _pay
from tests.admin.exceptions.test_reconciliation import NO_NODES
from tests.plugins.app import ApiClient, settings_for_tests

ACTOR = Actor(None, "vanished-test")


async def _booked_and_vanished(client: ApiClient, pool: asyncpg.Pool) -> tuple[int, int, str]:
    """A settled invoice's booked transfer, then recorded as vanished by a resync."""
    invoice = await _invoice(client, amount=100_000)
    units = int(invoice["payment_options"][0]["amount_units"])
    paid = _pay(invoice, units)
    await TransferSink(pool, apply_invoices).emit(
        Facts("bsc", seen=[paid], final=[paid.tx_hash]))
    row = await pool.fetchrow("SELECT t.id, i.status FROM chain_transfers t JOIN invoices i "
                              "ON i.id = t.invoice_id WHERE t.tx_hash = $1", paid.tx_hash)
    assert row is not None and row["status"] == "settled"
    async with pool.acquire() as conn:
        await status.resynced(conn, "bsc", 1, [row["id"]])
    return row["id"], units, invoice["id"]


async def test_a_vanished_transfer_is_queued_and_reconciled_until_acknowledged(
        client: ApiClient, db_pool: asyncpg.Pool, database_url: str, tmp_path: Path) -> None:
    transfer_id, units, invoice_id = await _booked_and_vanished(client, db_pool)
    key = f"vt_{transfer_id}"
    [item] = await _items(db_pool, invoice_id=invoice_id)
    assert (item.key, item.kind, item.chain, item.asset, item.units) == (
        key, "vanished", "bsc", "BNB", units)
    assert item.value_tiyn == 100_000 and item.age.total_seconds() >= 0
    assert item.decision is None and item.actions == ("acknowledge",)
    assert item.as_json()["actions"] == ["acknowledge"]

    settings = settings_for_tests(database_url, tmp_path)
    async with db_pool.acquire() as conn:
        run = await settlement.run_reconciliation(conn, ACTOR, settings, NO_NODES)
    [line] = [ln for ln in run.lines if ln.detail.get("transfer_id") == key]
    assert (line.kind, line.chain, line.asset, line.ledger_amount, line.chain_amount,
            line.difference) == ("vanished_transfer", "bsc", "bsc:BNB", units, 0, -units)
    assert run.status == "differences"

    async with db_pool.acquire() as conn:
        with pytest.raises(Conflict) as refused:  # booked money is not refunded
            await exceptions.decide(conn, ACTOR, key, "refund")
        assert refused.value.code == "action_not_available"
        with pytest.raises(Conflict):
            await exceptions.decide(conn, ACTOR, key, "accept")
        done = await exceptions.decide(conn, ACTOR, key, "acknowledge", "lost in the fork")
        assert (done["key"], done["action"], done["note"]) == (key, "acknowledge",
                                                               "lost in the fork")
        with pytest.raises(Conflict) as again:
            await exceptions.decide(conn, ACTOR, key, "acknowledge")
        assert again.value.code == "already_decided"
        with pytest.raises(NotFound):
            await exceptions.decide(conn, ACTOR, "vt_999999999", "acknowledge")
        run = await settlement.run_reconciliation(conn, ACTOR, settings, NO_NODES)
    assert not [ln for ln in run.lines if ln.detail.get("transfer_id") == key]
    [item] = await _items(db_pool, invoice_id=invoice_id)
    assert item.decision == "acknowledge" and item.actions == ()
    assert await db_pool.fetchval(
        "SELECT action FROM admin_audit_log WHERE target_id = $1", key) == \
        "exception.acknowledge"
    # Nothing booked was undone: the invoice stays settled.
    assert await db_pool.fetchval("SELECT status FROM invoices WHERE id = $1",
                                  invoice_id) == "settled"
    assert FLOORS
