"""SSE streams end to end: snapshot, a change committed on another connection arriving
through NOTIFY, Last-Event-ID replay, the public stream's fields and 404s."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp
import asyncpg
import pytest

from gateway.events.outbox import emit
from tests.webhooks.support import (
    FAST_LIVE,
    FAST_WEBHOOKS,
    get_json,
    insert_invoice,
    invoice_data,
    make_merchant,
    serve_app,
    settings_for,
)


@dataclass
class Sse:
    id: str | None = None
    event: str | None = None
    data: list[str] = field(default_factory=list)

    @property
    def json(self) -> Any:
        return json.loads("\n".join(self.data))


@dataclass
class Reader:
    resp: aiohttp.ClientResponse
    comments: list[str] = field(default_factory=list)
    retry: int | None = None

    async def next(self, timeout: float = 5.0) -> Sse:
        return await asyncio.wait_for(self._next(), timeout)

    async def _next(self) -> Sse:
        current = Sse()
        while True:
            line = (await self.resp.content.readline()).decode().rstrip("\n")
            if not line:
                if current.event or current.data:
                    return current
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "":
                self.comments.append(value)
            elif name == "retry":
                self.retry = int(value)
            elif name == "id":
                current.id = value
            elif name == "event":
                current.event = value
            elif name == "data":
                current.data.append(value)


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[str]:
    settings = settings_for(database_url, webhooks=replace(FAST_WEBHOOKS, worker=False),
                            live=replace(FAST_LIVE, heartbeat=1))
    async with serve_app(settings) as base:
        yield base


async def emit_change(db_pool: asyncpg.Pool, merchant_id: str, invoice_id: str,
                      type: str, status: str, amount_paid: int = 0) -> str:
    """A transition committed on another connection, as a watcher would do it."""
    async with db_pool.acquire() as other, other.transaction():
        await other.execute("UPDATE invoices SET status = $2, amount_paid = $3 WHERE id = $1",
                            invoice_id, status, amount_paid)
        return await emit(other, merchant_id=merchant_id, type=type,
                          data=invoice_data(invoice_id, status=status, amount_paid=amount_paid))


async def test_snapshot_then_changes_through_notify(
    api: str, conn: asyncpg.Connection, db_pool: asyncpg.Pool
) -> None:
    merchant = await make_merchant(conn)
    invoice_id = await insert_invoice(conn, merchant.id)
    async with aiohttp.ClientSession() as http, http.get(
        f"{api}/v1/invoices/{invoice_id}/events", headers=merchant.headers
    ) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        reader = Reader(resp)
        snapshot = await reader.next()
        assert reader.retry == 500
        assert snapshot.event == "invoice" and snapshot.id is None
        body = snapshot.json
        assert body["id"] == invoice_id and body["status"] == "new"
        assert body["amount_remaining"] == 1_500_000 and body["metadata"]
        assert body["payment_options"][0]["amount_remaining_units"] == "20000000001"

        event_id = await emit_change(db_pool, merchant.id, invoice_id, "invoice.processing",
                                     "processing", amount_paid=1_500_000)
        change = await reader.next()
        assert (change.event, change.id) == ("invoice.processing", event_id)
        assert change.json["status"] == "processing" and change.json["amount_remaining"] == 0

        await asyncio.sleep(1.3)
        settled = await emit_change(db_pool, merchant.id, invoice_id, "invoice.settled",
                                    "settled", amount_paid=1_500_000)
        assert (await reader.next()).id == settled
        assert "heartbeat" in reader.comments


async def test_last_event_id_replays_newer_events(
    api: str, conn: asyncpg.Connection, db_pool: asyncpg.Pool
) -> None:
    merchant = await make_merchant(conn)
    invoice_id = await insert_invoice(conn, merchant.id)
    first = await emit_change(db_pool, merchant.id, invoice_id, "invoice.paid_partial", "new",
                              amount_paid=500_000)
    second = await emit_change(db_pool, merchant.id, invoice_id, "invoice.processing",
                               "processing", amount_paid=1_500_000)
    third = await emit_change(db_pool, merchant.id, invoice_id, "invoice.settled", "settled",
                              amount_paid=1_500_000)
    async with aiohttp.ClientSession() as http, http.get(
        f"{api}/pay/{invoice_id}/events", headers={"Last-Event-ID": first}
    ) as resp:
        reader = Reader(resp)
        snapshot = await reader.next()
        assert snapshot.event == "invoice" and snapshot.id == third
        assert snapshot.json["status"] == "settled"
        replayed = [await reader.next(), await reader.next()]
        assert [(e.event, e.id) for e in replayed] == [
            ("invoice.processing", second), ("invoice.settled", third)]
        later = await emit_change(db_pool, merchant.id, invoice_id, "invoice.paid_late",
                                  "settled", amount_paid=1_600_000)
        assert (await reader.next()).id == later


async def test_public_stream_hides_private_fields_and_404s(
    api: str, conn: asyncpg.Connection, db_pool: asyncpg.Pool
) -> None:
    merchant, other = await make_merchant(conn), await make_merchant(conn)
    invoice_id = await insert_invoice(conn, merchant.id)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{api}/pay/{invoice_id}/events") as resp:
            reader = Reader(resp)
            snapshot = (await reader.next()).json
            assert "metadata" not in snapshot and "payment_tolerance" not in snapshot
            assert snapshot["order_id"] == "order-1"
            await emit_change(db_pool, merchant.id, invoice_id, "invoice.expired", "expired")
            change = await reader.next()
            assert change.event == "invoice.expired" and "metadata" not in change.json
        for url, headers in [
            (f"{api}/v1/invoices/{invoice_id}/events", other.headers),
            (f"{api}/v1/invoices/inv_{secrets.token_hex(10)}/events", merchant.headers),
            (f"{api}/pay/inv_{secrets.token_hex(10)}/events", {}),
            (f"{api}/pay/not-an-id/events", {}),
        ]:
            status, body = await get_json(http, url, headers=headers)
            assert status == 404 and body["error"]["code"] == "resource_missing"
        assert (await get_json(http, f"{api}/v1/invoices/{invoice_id}/events"))[0] == 401


async def test_links_stored_as_paths_are_streamed_absolute(
    api: str, conn: asyncpg.Connection, db_pool: asyncpg.Pool
) -> None:
    merchant = await make_merchant(conn)
    invoice_id = await insert_invoice(conn, merchant.id)
    data = {**invoice_data(invoice_id), "checkout_url": f"/pay/{invoice_id}"}
    first = await emit(conn, merchant_id=merchant.id, type="invoice.paid_partial", data=data)
    async with aiohttp.ClientSession() as http, http.get(
        f"{api}/v1/invoices/{invoice_id}/events", headers={**merchant.headers,
                                                           "Last-Event-ID": "evt_none"}
    ) as resp:
        reader = Reader(resp)
        snapshot = (await reader.next()).json
        assert snapshot["checkout_url"].endswith(f"/pay/{invoice_id}")
        assert not snapshot["checkout_url"].startswith("/")
        second = await emit(conn, merchant_id=merchant.id, type="invoice.expired", data=data)
        change = await reader.next()
        assert change.id == second
        assert change.json["checkout_url"] == snapshot["checkout_url"]
    async with aiohttp.ClientSession() as http, http.get(
        f"{api}/v1/invoices/{invoice_id}/events",
        headers={**merchant.headers, "Last-Event-ID": first},
    ) as resp:
        reader = Reader(resp)
        await reader.next()  # the snapshot
        replayed = await reader.next()
        assert replayed.id == second
        assert replayed.json["checkout_url"] == snapshot["checkout_url"]
