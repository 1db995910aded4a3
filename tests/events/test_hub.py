"""The LISTEN/NOTIFY hub: fan-out by invoice, slow consumers dropped, reconnects."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
from collections.abc import AsyncIterator

import asyncpg
import pytest

from gateway.events.hub import DROPPED, EVENTS_CHANNEL, RESYNC, Notice, NotifyHub


@pytest.fixture
async def hub(database_url: str) -> AsyncIterator[NotifyHub]:
    hub = NotifyHub(database_url, queue_size=3, keepalive=0.5)
    task = asyncio.create_task(hub.run())
    await asyncio.wait_for(hub.connected.wait(), 5)
    yield hub
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def notify(conn: asyncpg.Connection, invoice_id: str, event_id: str = "evt_x") -> None:
    await conn.execute("SELECT pg_notify($1, $2)", EVENTS_CHANNEL,
                       json.dumps({"event_id": event_id, "invoice_id": invoice_id}))


async def test_fan_out_by_invoice_and_to_listeners(hub: NotifyHub,
                                                   conn: asyncpg.Connection) -> None:
    mine, other = "inv_" + secrets.token_hex(6), "inv_" + secrets.token_hex(6)
    heard: list[Notice] = []
    hub.add_listener(EVENTS_CHANNEL, heard.append)
    with hub.subscribe(mine) as first, hub.subscribe(mine) as second, \
            hub.subscribe(other) as third:
        await notify(conn, mine, "evt_1")
        for sub in (first, second):
            item = await asyncio.wait_for(sub.get(), 5)
            assert isinstance(item, Notice) and item.payload["event_id"] == "evt_1"
        assert third.queue.empty()
    assert hub.subscriber_count() == 0
    assert any(n.payload.get("event_id") == "evt_1" for n in heard)


async def test_slow_subscriber_is_dropped(hub: NotifyHub, conn: asyncpg.Connection) -> None:
    invoice = "inv_" + secrets.token_hex(6)
    with hub.subscribe(invoice) as slow:
        for n in range(5):
            await notify(conn, invoice, f"evt_{n}")
        await asyncio.sleep(0.3)
        assert slow.dropped and await slow.get() is DROPPED
        assert hub.subscriber_count() == 0


async def test_reconnects_and_tells_subscribers_to_resync(
    hub: NotifyHub, conn: asyncpg.Connection
) -> None:
    invoice = "inv_" + secrets.token_hex(6)
    with hub.subscribe(invoice) as sub:
        old_pid = hub.backend_pid
        await conn.execute("SELECT pg_terminate_backend($1)", old_pid)
        assert await asyncio.wait_for(sub.get(), 10) is RESYNC
        assert hub.connected.is_set() and hub.backend_pid != old_pid
        await notify(conn, invoice, "evt_after")
        item = await asyncio.wait_for(sub.get(), 5)
        assert isinstance(item, Notice) and item.payload["event_id"] == "evt_after"


async def test_reconnect_backs_off_exponentially_up_to_the_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[float] = []
    connection = object()

    async def database_down_three_times(dsn: str) -> object:
        calls.append(asyncio.get_running_loop().time())
        if len(calls) <= 3:
            raise OSError("connection refused")
        return connection

    monkeypatch.setattr(asyncpg, "connect", database_down_three_times)
    hub = NotifyHub("postgresql://unused", max_backoff=0.3)
    assert await hub._connect() is connection
    gaps = [later - earlier for earlier, later in itertools.pairwise(calls)]
    # 0.2 s first (FIRST_BACKOFF), then doubled but capped at max_backoff.
    assert len(gaps) == 3 and 0.19 <= gaps[0] < 0.29
    assert all(0.29 <= gap < 1.0 for gap in gaps[1:])
