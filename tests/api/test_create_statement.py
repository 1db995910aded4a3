"""The create path: what its statement writes, the notice watchers rely on, its caches."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from gateway.config import Settings
from gateway.invoices.indexes import BscIndexes
from gateway.invoices.notices import CreatedNotices
from gateway.invoices.quotes import QuoteCache
from gateway.invoices.serializers import invoice_object
from gateway.invoices.service import get_invoice
from gateway.rate_rules import parse_rules
from gateway.rates import RATE_BOOK, RateUnavailable
from gateway.rates.book import RateBook
from tests.api.helpers import assert_error, invoice_body
from tests.plugins.app import ApiClient, RunningApp, free_port, running_app
from tests.plugins.clock import FakeClock
from tests.plugins.db import database_pool

KeyFactory = Callable[..., Awaitable[str]]


@pytest.fixture
async def client(api_client: Callable[..., ApiClient], make_api_key: KeyFactory) -> ApiClient:
    return api_client(await make_api_key())


async def test_create_writes_invoice_event_notice_and_saved_response(
    client: ApiClient, database_url: str, conn: asyncpg.Connection, app_server: RunningApp,
) -> None:
    notices: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(database_url)  # LISTEN needs its own connection
    try:
        await listener.add_listener("ccp_events", lambda *a: notices.put_nowait(str(a[3])))
        key = secrets.token_hex(8)
        created = await client.post("/v1/invoices", invoice_body(), idempotency_key=key)
        assert created.status == 200
        invoice_id = created.body["id"]
        while True:  # other tests' notices may come first
            notice = json.loads(await asyncio.wait_for(notices.get(), 5))
            if notice["invoice_id"] == invoice_id:
                break
    finally:
        await listener.close()
    # The watched set (gateway.chains.watched) adds invoices from exactly this notice.
    assert notice["type"] == "invoice.created"
    event = await conn.fetchrow("SELECT id, merchant_id, data FROM events WHERE invoice_id = $1",
                                invoice_id)
    assert event is not None and event["id"] == notice["event_id"]
    assert event["data"] == created.body  # the event carries the response's object
    saved = await conn.fetchval("SELECT response_body FROM idempotency_keys "
                                "WHERE merchant_id = $1 AND key = $2", event["merchant_id"], key)
    assert bytes(saved) == created.raw  # saved byte for byte, replayed verbatim
    # What the row says equals what the process computed (its clock, its quotes, its URIs).
    stored = await get_invoice(conn, event["merchant_id"], invoice_id)
    assert invoice_object(stored, app_server.settings.public_url) == created.body
    # ... with the keys the watchers match payments by, so they add it without a query.
    assert notice["watch"] == {"bsc_address": stored.bsc_address,
                               "solana_reference": stored.solana_reference}


async def test_created_at_and_expiry_come_from_one_clock(client: ApiClient,
                                                         conn: asyncpg.Connection) -> None:
    created = await client.post("/v1/invoices", invoice_body(expires_in=120))
    row = await conn.fetchrow("SELECT created_at, expires_at, now() AS db_now FROM invoices "
                              "WHERE id = $1", created.body["id"])
    assert row is not None
    assert row["expires_at"] - row["created_at"] == timedelta(seconds=120)
    assert abs(row["db_now"] - row["created_at"]) < timedelta(seconds=5)


@pytest.fixture
async def own_server(app_settings: Settings) -> AsyncIterator[RunningApp]:
    port = free_port()
    settings = replace(app_settings, port=port, public_url=f"http://127.0.0.1:{port}",
                       rates=replace(app_settings.rates, refresh_seconds=3600))
    async with running_app(settings) as server:
        yield server


async def test_saved_response_is_replayed_even_when_rates_went_stale(
    own_server: RunningApp, api_client: Callable[..., ApiClient], make_api_key: KeyFactory,
) -> None:
    client = api_client(await make_api_key(), server=own_server)
    key = secrets.token_hex(8)
    first = await client.post("/v1/invoices", invoice_body(assets=["SOL"]), idempotency_key=key)
    assert first.status == 200
    book = own_server.app[RATE_BOOK]
    book.record("fixed", dict(own_server.settings.rates.fixed),
                datetime.now(UTC) - timedelta(hours=2))
    # A new request cannot be quoted; the retried one gets its saved answer.
    assert_error(await client.post("/v1/invoices", invoice_body(assets=["SOL"])), 503,
                 "rate_unavailable", "SOL_KZT")
    again = await client.post("/v1/invoices", invoice_body(assets=["SOL"]), idempotency_key=key)
    assert again.status == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.raw == first.raw
    other = await client.post("/v1/invoices", invoice_body(amount=7), idempotency_key=key)
    assert_error(other, 422, "idempotency_key_reused", "Idempotency-Key")


async def test_quote_cache_follows_refreshes_and_never_serves_a_stale_rate(
        clock: FakeClock) -> None:
    book = RateBook(parse_rules("SOL = fixed:SOL max_age=60"), clock=clock)
    cache = QuoteCache(book, clock=clock)
    now = clock()
    book.record("fixed", {"SOL": Decimal("75000")}, now - timedelta(seconds=30))
    first = cache.quotes(["SOL", "SOL"])["SOL"]
    assert first.rate == Decimal("75000")
    assert cache.quotes(["SOL"])["SOL"] is first  # same prices: the cached quote
    book.record("fixed", {"SOL": Decimal("80000")}, now - timedelta(seconds=1))
    assert cache.quotes(["SOL"])["SOL"].rate == Decimal("80000")  # a refresh is seen at once
    # Cached 0.2 s before its 60 s age limit; once past it, refused like the book refuses it.
    book.record("fixed", {"SOL": Decimal("81000")},
                now - timedelta(seconds=59, milliseconds=800))
    assert cache.quotes(["SOL"])["SOL"].rate == Decimal("81000")
    clock.advance(timedelta(milliseconds=300))
    with pytest.raises(RateUnavailable):
        cache.quotes(["SOL"])


async def test_index_blocks_hand_out_each_index_once(conn: asyncpg.Connection) -> None:
    a, b = BscIndexes(block=3), BscIndexes(block=3)
    taken = [await indexes.take(conn) for _ in range(7) for indexes in (a, b)]
    assert len(set(taken)) == 14  # two processes, refills included: never the same index
    assert len(a) == 2 and len(b) == 2  # 7 taken from the 9 each reserved


async def test_notice_follows_the_commit_and_a_rolled_back_create_sends_none(
    client: ApiClient, database_url: str, conn: asyncpg.Connection,
) -> None:
    notices: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    listener = await asyncpg.connect(database_url)  # LISTEN needs its own connection
    try:
        await listener.add_listener("ccp_events",
                                    lambda *a: notices.put_nowait(json.loads(str(a[3]))))
        key = secrets.token_hex(8)
        first = await client.post("/v1/invoices", invoice_body(), idempotency_key=key)
        # The replay's handler creates an invoice too, then rolls it back: no notice for it.
        replay = await client.post("/v1/invoices", invoice_body(), idempotency_key=key)
        assert replay.headers["Idempotent-Replayed"] == "true"
        last = await client.post("/v1/invoices", invoice_body())
        ours = (first.body["id"], last.body["id"])
        seen: list[str] = []
        while last.body["id"] not in seen:  # notices arrive in commit order
            notice = await asyncio.wait_for(notices.get(), 5)
            if notice["type"] != "invoice.created":
                continue
            # Sent after the commit: whoever wakes on it finds the invoice (and a rolled-back
            # create, which has no row, sent none).
            assert await conn.fetchval("SELECT count(*) FROM invoices WHERE id = $1",
                                       notice["invoice_id"]) == 1
            if notice["invoice_id"] in ours:
                seen.append(notice["invoice_id"])
    finally:
        await listener.close()
    assert seen == list(ours)


async def test_created_notices_go_out_in_one_batch_in_order(database_url: str) -> None:
    got: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(database_url)  # LISTEN needs its own connection
    notices = CreatedNotices()
    sent = [json.dumps({"type": "test.batch", "n": n}) for n in range(5)]
    try:
        await listener.add_listener("ccp_events", lambda *a: got.put_nowait(str(a[3])))
        async with database_pool(database_url, min_size=1, max_size=2) as pool:
            for notice in sent:
                notices.send(notice)
            await notices.flush(pool)
            await notices.flush(pool)  # nothing pending: no statement, no error
        received: list[str] = []
        while len(received) < len(sent):  # other tests' notices may come in between
            notice = await asyncio.wait_for(got.get(), 5)
            if json.loads(notice)["type"] == "test.batch":
                received.append(notice)
    finally:
        await listener.close()
    assert received == sent
