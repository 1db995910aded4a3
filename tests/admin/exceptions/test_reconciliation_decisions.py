"""Every reconciliation difference is a queue item the operator decides on: `acknowledge`
(audited) explains the same difference in later runs; `accept` is refused (409, one error
shape) where it makes no sense: on a difference, and on a payment stranded on an invalid or
cancelled invoice."""

from __future__ import annotations

from typing import Any

import aiohttp
import asyncpg
import pytest

from gateway.admin import auth
from gateway.admin.audit import Actor
from gateway.admin.exceptions import service as exceptions
from gateway.chains.facts import Facts
from gateway.errors import Conflict
from gateway.lifecycle.service import apply_invoices
from gateway.transfers.sink import TransferSink
from settlement.reconciliation.service import (
    AddressExpectation,
    Line,
    Observation,
    reconcile,
    run_status,
)
from tests.admin.exceptions.test_queue import _invoice, _items, _pay
from tests.admin.test_api_access import bearer, make_user, token_of
from tests.plugins.app import ApiClient, RunningApp

ACTOR = Actor(None, "reconciliation-decisions-test")
ADDRESS = "0x00000000000000000000000000000000decafbad"


async def _run_with_address_difference(conn: Any, on_chain: int) -> Any:
    return await reconcile(
        conn, observations=[Observation("bsc", "bsc:BNB", ADDRESS, on_chain)], booked={},
        expected=[AddressExpectation("bsc", "bsc:BNB", ADDRESS, 3)])


def _mine(run: Any) -> Line:
    [line] = [ln for ln in run.lines if ln.address == ADDRESS]
    return line


async def test_a_difference_is_acknowledged_from_the_queue(db_pool: asyncpg.Pool) -> None:
    async with db_pool.acquire() as conn:
        run = await _run_with_address_difference(conn, 5)
    seq = [ln.address for ln in run.lines].index(ADDRESS) + 1
    key = f"rec_{run.id}_{seq}"
    found = await _items(db_pool, kind="reconciliation")
    [item] = [i for i in found if i.key == key]
    assert (item.units, item.decision, item.actions) == (2, None, ("acknowledge",))
    async with db_pool.acquire() as conn:
        for action in ("accept", "refund"):
            with pytest.raises(Conflict) as refused:
                await exceptions.decide(conn, ACTOR, key, action)
            assert refused.value.code == "action_not_available"
        done = await exceptions.decide(conn, ACTOR, key, "acknowledge", "sweep to cold")
        assert (done["key"], done["action"], done["kind"]) == (key, "acknowledge", "address")
        with pytest.raises(Conflict) as again:
            await exceptions.decide(conn, ACTOR, key, "acknowledge")
        assert again.value.code == "already_decided"
        # The same difference in a later run carries the decision; another amount does not.
        same = await _run_with_address_difference(conn, 5)
        other = await _run_with_address_difference(conn, 6)
    assert _mine(same).detail["decision"] == "acknowledge"
    assert "decision" not in _mine(other).detail
    assert await db_pool.fetchval(
        "SELECT action FROM admin_audit_log WHERE target_id = $1", key) == \
        "exception.acknowledge"


def test_a_run_is_explained_only_when_every_line_is_decided() -> None:
    decided = Line("address", "bsc", "bsc:BNB", ADDRESS, 3, 5, 2, {"decision": "acknowledge"})
    open_ = Line("custody", "bsc", "bsc:BNB", None, 1, 2, 1)
    assert run_status([]) == "balanced"
    assert run_status([decided]) == "explained"
    assert run_status([decided, open_]) == "differences"


async def test_accept_is_refused_on_an_invalid_invoice(
        client: ApiClient, db_pool: asyncpg.Pool, app_server: RunningApp,
        http_session: aiohttp.ClientSession) -> None:
    invoice = await _invoice(client, amount=100_000)
    part = _pay(invoice, int(invoice["payment_options"][0]["amount_units"]) // 2)
    await TransferSink(db_pool, apply_invoices).emit(
        Facts("bsc", seen=[part], final=[part.tx_hash]))
    # A credit stranded on an invalid invoice (as a reorg after expiry leaves one).
    await db_pool.execute("UPDATE invoices SET status = 'invalid' WHERE id = $1", invoice["id"])
    [item] = await _items(db_pool, invoice_id=invoice["id"])
    assert (item.kind, item.actions) == ("stranded", ("refund",))
    token = await token_of(db_pool, await make_user(db_pool, auth.Role.OPERATOR))
    url = f"{app_server.url}/admin/api/exceptions/{item.key}/decision"
    async with http_session.post(url, json={"action": "accept"},
                                 headers=bearer(token.secret)) as response:
        assert response.status == 409
        body: dict[str, Any] = await response.json()
    error = body["error"]
    assert error["code"] == "not_acceptable"
    assert "which is invalid: only a payment stranded on an expired invoice" in error["message"]
    assert await db_pool.fetchval("SELECT status FROM invoices WHERE id = $1",
                                  invoice["id"]) == "invalid"
