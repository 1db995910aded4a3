"""The outbox: an event and its notification commit or vanish together; the fan-out then
writes its deliveries exactly once per subscribed endpoint."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import asyncpg
import pytest

from gateway.events.errors import UnknownEventType
from gateway.events.outbox import EVENT_TYPES, emit, emit_once, fan_out


def _invoice(invoice_id: str) -> dict[str, Any]:
    return {"id": invoice_id, "object": "invoice", "status": "new", "amount": 150000}


async def _endpoint(conn: asyncpg.Connection, merchant_id: str, events: list[str]) -> str:
    endpoint_id = "we_" + secrets.token_hex(8)
    await conn.execute(
        "INSERT INTO webhook_endpoints (id, merchant_id, url, enabled_events, secret)"
        " VALUES ($1, $2, 'http://127.0.0.1:9/hook', $3, 'whsec_x')",
        endpoint_id, merchant_id, events,
    )
    return endpoint_id


async def _deliveries(conn: asyncpg.Connection, event_id: str) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        "SELECT endpoint_id, status FROM webhook_deliveries WHERE event_id = $1", event_id))


async def test_emit_writes_event_and_notifies_then_fan_out_writes_deliveries(
    conn: asyncpg.Connection, db_pool: asyncpg.Pool
) -> None:
    merchant_id = "mer_" + secrets.token_hex(6)
    invoice_id = "inv_" + secrets.token_hex(6)
    subscribed = await _endpoint(conn, merchant_id, ["invoice.settled"])
    wildcard = await _endpoint(conn, merchant_id, ["*"])
    await _endpoint(conn, merchant_id, ["invoice.expired"])
    await _endpoint(conn, "mer_other" + secrets.token_hex(4), ["*"])
    notices: asyncio.Queue[str] = asyncio.Queue()
    async with db_pool.acquire() as listener:
        await listener.add_listener("ccp_events", lambda *a: notices.put_nowait(a[3]))
        async with conn.transaction():
            event_id = await emit(conn, merchant_id=merchant_id, type="invoice.settled",
                                  data=_invoice(invoice_id))
            await asyncio.sleep(0.05)
            assert notices.empty()  # NOTIFY is delivered at commit, not before
        notice = json.loads(await asyncio.wait_for(notices.get(), 5))
        await listener.reset()
    assert notice == {"event_id": event_id, "type": "invoice.settled",
                      "merchant_id": merchant_id, "invoice_id": invoice_id}
    row = await conn.fetchrow("SELECT * FROM events WHERE id = $1", event_id)
    assert row is not None
    assert row["invoice_id"] == invoice_id and row["data"] == _invoice(invoice_id)
    # The writer's transaction wrote no delivery: that is the fan-out's job, after commit.
    assert await _deliveries(conn, event_id) == []
    await fan_out(conn, limit=10_000)
    endpoints = await _deliveries(conn, event_id)
    assert sorted(r["endpoint_id"] for r in endpoints) == sorted([subscribed, wildcard])
    assert {r["status"] for r in endpoints} == {"pending"}
    await fan_out(conn, limit=10_000)
    assert len(await _deliveries(conn, event_id)) == 2  # never fanned out twice


async def test_concurrent_fan_outs_write_one_delivery_per_endpoint(
    conn: asyncpg.Connection, db_pool: asyncpg.Pool
) -> None:
    merchant_id = "mer_" + secrets.token_hex(6)
    endpoints = [await _endpoint(conn, merchant_id, ["*"]) for _ in range(5)]
    events = [await emit(conn, merchant_id=merchant_id, type="invoice.created",
                         data=_invoice("inv_" + secrets.token_hex(6))) for _ in range(40)]

    async def one_worker() -> None:
        async with db_pool.acquire() as own:
            for _ in range(10):
                await fan_out(own, limit=7)

    await asyncio.gather(*(one_worker() for _ in range(4)))
    await fan_out(conn, limit=10_000)  # whatever the small batches left
    rows = await conn.fetch(
        "SELECT event_id, endpoint_id, count(*) AS n FROM webhook_deliveries"
        " WHERE merchant_id = $1 GROUP BY event_id, endpoint_id", merchant_id)
    assert {(r["event_id"], r["endpoint_id"]) for r in rows} == {
        (e, w) for e in events for w in endpoints}
    assert {r["n"] for r in rows} == {1}


async def test_fan_out_skips_endpoints_registered_after_the_event(
    conn: asyncpg.Connection
) -> None:
    merchant_id = "mer_" + secrets.token_hex(6)
    before = await _endpoint(conn, merchant_id, ["*"])
    event_id = await emit(conn, merchant_id=merchant_id, type="invoice.created",
                          data=_invoice("inv_" + secrets.token_hex(6)))
    await _endpoint(conn, merchant_id, ["*"])  # registered while no worker fanned out
    await fan_out(conn, limit=10_000)
    assert [r["endpoint_id"] for r in await _deliveries(conn, event_id)] == [before]


async def test_rolled_back_emit_leaves_nothing(conn: asyncpg.Connection) -> None:
    merchant_id = "mer_" + secrets.token_hex(6)
    await _endpoint(conn, merchant_id, ["*"])
    tr = conn.transaction()
    await tr.start()
    event_id = await emit(conn, merchant_id=merchant_id, type="invoice.created",
                          data=_invoice("inv_" + secrets.token_hex(6)))
    await tr.rollback()
    await fan_out(conn, limit=10_000)
    assert await conn.fetchval("SELECT count(*) FROM events WHERE id = $1", event_id) == 0
    assert await conn.fetchval(
        "SELECT count(*) FROM webhook_deliveries WHERE merchant_id = $1", merchant_id) == 0


async def test_non_invoice_data_and_unknown_type(conn: asyncpg.Connection) -> None:
    event_id = await emit(conn, merchant_id="mer_" + secrets.token_hex(6),
                          type=EVENT_TYPES[0], data={"object": "other", "id": "x"})
    assert event_id.startswith("evt_")
    assert await conn.fetchval("SELECT invoice_id FROM events WHERE id = $1", event_id) is None
    with pytest.raises(UnknownEventType):
        await emit(conn, merchant_id="m", type="invoice.exploded", data={})


async def test_emit_once_writes_one_event_per_key_even_at_once(
    db_pool: asyncpg.Pool
) -> None:
    """Two transactions announcing the same fact together: the unique once-key makes the
    second wait for the first and then write nothing (no event, no notification)."""
    merchant_id = "mer_" + secrets.token_hex(6)
    invoice_id = "inv_" + secrets.token_hex(6)
    key = f"test:{invoice_id}"
    both_in = asyncio.Barrier(2)

    async def announce() -> str | None:
        async with db_pool.acquire() as conn, conn.transaction():
            await both_in.wait()
            event_id = await emit_once(conn, merchant_id=merchant_id,
                                       type="invoice.payment_after_settlement",
                                       data=_invoice(invoice_id), once_key=key)
            await asyncio.sleep(0.05)  # hold the row uncommitted while the other tries
            return event_id

    written = await asyncio.wait_for(asyncio.gather(announce(), announce()), timeout=20)
    assert sorted(w is None for w in written) == [False, True]
    async with db_pool.acquire() as conn:
        again = await emit_once(conn, merchant_id=merchant_id,
                                type="invoice.payment_after_settlement",
                                data=_invoice(invoice_id), once_key=key)
    assert again is None
    ids = [r["id"] for r in await db_pool.fetch(
        "SELECT id FROM events WHERE invoice_id = $1", invoice_id)]
    assert ids == [w for w in written if w is not None]
