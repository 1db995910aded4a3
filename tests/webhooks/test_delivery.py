"""The delivery worker against a real HTTP receiver: signatures, retries, the delivery log,
exactly one successful delivery per event even with competing workers."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections.abc import AsyncIterator

import asyncpg
from aiohttp.abc import AbstractResolver, ResolveResult

from gateway.events.outbox import emit, fan_out
from gateway.webhooks import service
from gateway.webhooks.delivery import DeliveryWorker, WorkerConfig, make_session, post_event
from gateway.webhooks.service import RetryPolicy
from gateway.webhooks.urlguard import UrlPolicy
from tests.plugins.eventually import eventually
from tests.webhooks.support import (
    Receiver,
    add_endpoint_row,
    invoice_data,
    run_receiver,
)


def config(*, window: float = 60.0, timeout: float = 2.0, concurrency: int = 8,
           dev: bool = True) -> WorkerConfig:
    return WorkerConfig(timeout=timeout, concurrency=concurrency, poll_interval=0.1,
                        url_policy=UrlPolicy(dev=dev),
                        retry=RetryPolicy(base_seconds=0.05, cap_seconds=0.2,
                                          window_seconds=window))


@contextlib.asynccontextmanager
async def running(*workers: DeliveryWorker) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def merchant_id() -> str:
    return "mch_" + secrets.token_hex(8)


async def emit_one(conn: asyncpg.Connection, merchant: str, type: str = "invoice.settled") -> str:
    return await emit(conn, merchant_id=merchant, type=type,
                      data=invoice_data("inv_" + secrets.token_hex(8), status="settled"))


async def delivery_status(pool: asyncpg.Pool, event_id: str) -> list[str]:
    rows = await pool.fetch("SELECT status FROM webhook_deliveries WHERE event_id = $1",
                            event_id)
    return [r["status"] for r in rows]


async def test_retries_until_success_then_never_again(
    own_conn: asyncpg.Connection, own_pool: asyncpg.Pool
) -> None:
    merchant = merchant_id()
    async with run_receiver(Receiver(fail_first=2)) as receiver:
        _, receiver.secret = await add_endpoint_row(own_conn, merchant, receiver.url)
        event_id = await emit_one(own_conn, merchant)
        async with running(DeliveryWorker(own_pool, config())):
            async def delivered() -> bool:
                return await delivery_status(own_pool, event_id) == ["delivered"]
            await eventually(delivered)
            await asyncio.sleep(0.3)  # a re-send would show up here
    assert [r["status"] for r in receiver.requests] == [500, 500, 200]
    assert receiver.successes(event_id) == 1
    assert all(r["valid"] and r["content_type"] == "application/json"
               for r in receiver.requests)
    payload = receiver.requests[-1]["event"]
    assert set(payload) == {"id", "object", "livemode", "type", "created", "api_version",
                            "data"}
    assert payload["object"] == "event" and payload["type"] == "invoice.settled"
    assert payload["livemode"] is True  # the event of a live invoice
    assert payload["data"]["object"] == "invoice"
    log = await own_conn.fetch(
        "SELECT a.attempt, a.status_code, a.succeeded, a.error, a.response_excerpt"
        " FROM webhook_delivery_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id"
        " WHERE d.event_id = $1 ORDER BY a.attempt", event_id)
    assert [(r["attempt"], r["status_code"], r["succeeded"]) for r in log] == [
        (1, 500, False), (2, 500, False), (3, 200, True)]
    assert log[0]["error"] == "HTTP 500" and '"received": false' in log[0]["response_excerpt"]


async def test_competing_workers_deliver_each_event_exactly_once(
    own_conn: asyncpg.Connection, own_pool: asyncpg.Pool
) -> None:
    merchant = merchant_id()
    async with run_receiver(Receiver(delay=0.02)) as receiver:
        _, receiver.secret = await add_endpoint_row(own_conn, merchant, receiver.url)
        events = [await emit_one(own_conn, merchant) for _ in range(30)]
        workers = [DeliveryWorker(own_pool, config(concurrency=4)) for _ in range(3)]
        async with running(*workers):
            async def all_delivered() -> bool:
                done: int = await own_conn.fetchval(
                    "SELECT count(*) FROM webhook_deliveries WHERE merchant_id = $1"
                    " AND status = 'delivered'", merchant)
                return done == len(events)
            await eventually(all_delivered, timeout=20)
            await asyncio.sleep(0.3)
    assert all(receiver.successes(e) == 1 for e in events)
    assert len(receiver.requests) == len(events)


async def test_gives_up_after_the_window_and_logs_timeouts(
    own_conn: asyncpg.Connection, own_pool: asyncpg.Pool
) -> None:
    merchant = merchant_id()
    async with run_receiver(Receiver(delay=0.6)) as receiver:
        _, receiver.secret = await add_endpoint_row(own_conn, merchant, receiver.url)
        event_id = await emit_one(own_conn, merchant)
        async with running(DeliveryWorker(own_pool, config(window=0.8, timeout=0.3))):
            async def failed() -> bool:
                return await delivery_status(own_pool, event_id) == ["failed"]
            await eventually(failed)
    log = await own_conn.fetch(
        "SELECT a.status_code, a.error, a.succeeded FROM webhook_delivery_attempts a"
        " JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.event_id = $1", event_id)
    assert log and all(r["error"] == "timeout" and r["status_code"] is None
                       and not r["succeeded"] for r in log)


async def test_only_subscribed_endpoints_and_deleted_ones_are_cancelled(
    own_conn: asyncpg.Connection, own_pool: asyncpg.Pool
) -> None:
    merchant = merchant_id()
    async with run_receiver(Receiver()) as receiver:
        kept, receiver.secret = await add_endpoint_row(own_conn, merchant, receiver.url,
                                                       ["invoice.settled"])
        gone, _ = await add_endpoint_row(own_conn, merchant, receiver.url, ["*"])
        await add_endpoint_row(own_conn, merchant, receiver.url, ["invoice.expired"])
        event_id = await emit_one(own_conn, merchant)
        # Fanned out before the deletion, so `gone` has a pending delivery to cancel.
        await fan_out(own_conn, limit=10_000)
        await service.delete_endpoint(own_conn, merchant, gone)
        async with running(DeliveryWorker(own_pool, config())):
            async def settled() -> bool:
                return "pending" not in await delivery_status(own_pool, event_id)
            await eventually(settled)
    rows = await own_conn.fetch("SELECT endpoint_id, status FROM webhook_deliveries"
                            " WHERE event_id = $1", event_id)
    assert {r["endpoint_id"]: r["status"] for r in rows} == {
        kept: "delivered", gone: "cancelled"}
    assert len(receiver.requests) == 1


async def test_endpoint_deleted_before_fan_out_gets_no_delivery(
    own_conn: asyncpg.Connection, own_pool: asyncpg.Pool
) -> None:
    merchant = merchant_id()
    async with run_receiver(Receiver()) as receiver:
        kept, receiver.secret = await add_endpoint_row(own_conn, merchant, receiver.url)
        gone, _ = await add_endpoint_row(own_conn, merchant, receiver.url)
        event_id = await emit_one(own_conn, merchant)
        await service.delete_endpoint(own_conn, merchant, gone)
        async with running(DeliveryWorker(own_pool, config())):
            async def delivered() -> bool:
                return await delivery_status(own_pool, event_id) == ["delivered"]
            await eventually(delivered)
    rows = await own_conn.fetch("SELECT endpoint_id FROM webhook_deliveries"
                                " WHERE event_id = $1", event_id)
    assert [r["endpoint_id"] for r in rows] == [kept]
    assert receiver.successes(event_id) == 1


async def test_disabled_endpoint_is_sent_nothing_until_enabled_again(
    own_conn: asyncpg.Connection, own_pool: asyncpg.Pool
) -> None:
    merchant = merchant_id()
    async with run_receiver(Receiver()) as receiver:
        paused, receiver.secret = await add_endpoint_row(own_conn, merchant, receiver.url)
        before = await emit_one(own_conn, merchant)
        await fan_out(own_conn, limit=10_000)  # a pending delivery the disabling cancels
        off = await service.set_endpoint_enabled(own_conn, merchant, paused, False)
        again = await service.set_endpoint_enabled(own_conn, merchant, paused, False)
        during = await emit_one(own_conn, merchant)
        await fan_out(own_conn, limit=10_000)
        assert off["status"] == again["status"] == "disabled"
        assert await delivery_status(own_pool, before) == ["cancelled"]
        assert await delivery_status(own_pool, during) == []
        on = await service.set_endpoint_enabled(own_conn, merchant, paused, True)
        after = await emit_one(own_conn, merchant)
        async with running(DeliveryWorker(own_pool, config())):
            async def delivered() -> bool:
                return await delivery_status(own_pool, after) == ["delivered"]
            await eventually(delivered)
    assert on["status"] == "enabled"
    assert [r["event"]["id"] for r in receiver.requests] == [after]


class ResolvesToLoopback(AbstractResolver):
    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        return [ResolveResult(hostname=host, host="127.0.0.1", port=port, family=family,
                              proto=0, flags=0)]

    async def close(self) -> None:
        return None


async def test_delivery_time_check_refuses_rebound_and_literal_private_hosts() -> None:
    prod = config(dev=False)
    async with make_session(prod, ResolvesToLoopback()) as session:
        rebound = await post_event(session, url="https://hooks.example/ccp", secret="whsec_x",
                                   body=b"{}", policy=prod.url_policy)
        literal = await post_event(session, url="https://10.0.0.1/ccp", secret="whsec_x",
                                   body=b"{}", policy=prod.url_policy)
        plain = await post_event(session, url="http://93.184.216.34/", secret="whsec_x",
                                 body=b"{}", policy=prod.url_policy)
    assert rebound.status_code is None and "loopback" in (rebound.error or "")
    assert literal.status_code is None and "private" in (literal.error or "")
    assert plain.status_code is None and "https" in (plain.error or "")
    assert not (rebound.succeeded or literal.succeeded or plain.succeeded)
