"""Idempotency-Key: replay, reuse with another body, in-flight twins, expiry and purge."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta

import asyncpg
import pytest

from gateway.http.idempotency import purge
from tests.api.helpers import assert_error, invoice_body
from tests.plugins.app import ApiClient

KeyFactory = Callable[..., Awaitable[str]]


@pytest.fixture
async def merchant_id(make_merchant: Callable[..., Awaitable[str]]) -> str:
    return await make_merchant()


@pytest.fixture
async def client(api_client: Callable[..., ApiClient], make_api_key: KeyFactory,
                 merchant_id: str) -> ApiClient:
    return api_client(await make_api_key(merchant_id))


async def _count(conn: asyncpg.Connection, merchant_id: str) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM invoices WHERE merchant_id = $1",
                                     merchant_id)
    return count


async def test_same_key_same_body_replays(client: ApiClient, conn: asyncpg.Connection,
                                          merchant_id: str) -> None:
    key = secrets.token_hex(8)
    first = await client.post("/v1/invoices", invoice_body(), idempotency_key=key)
    assert first.status == 200 and "Idempotent-Replayed" not in first.headers
    # Same content, other formatting and key order: still the same request.
    raw = json.dumps(dict(reversed(list(invoice_body().items()))), indent=2)
    second = await client.request("POST", "/v1/invoices", data=raw, idempotency_key=key,
                                  headers={"Content-Type": "application/json"})
    assert second.status == 200 and second.headers["Idempotent-Replayed"] == "true"
    assert second.raw == first.raw
    assert await _count(conn, merchant_id) == 1


async def test_same_key_other_body_is_refused(client: ApiClient) -> None:
    key = secrets.token_hex(8)
    assert (await client.post("/v1/invoices", invoice_body(), idempotency_key=key)).status == 200
    response = await client.post("/v1/invoices", invoice_body(amount=1), idempotency_key=key)
    assert_error(response, 422, "idempotency_key_reused", "Idempotency-Key")
    other_path = await client.post("/v1/invoices/inv_xxxxxxxxxxxxxxxx/cancel",
                                   idempotency_key=key)
    assert_error(other_path, 422, "idempotency_key_reused")


async def test_concurrent_twins_create_exactly_one_invoice(client: ApiClient,
                                                           conn: asyncpg.Connection,
                                                           merchant_id: str) -> None:
    key = secrets.token_hex(8)
    responses = await asyncio.gather(*(
        client.post("/v1/invoices", invoice_body(), idempotency_key=key) for _ in range(20)
    ))
    statuses = {r.status for r in responses}
    assert statuses <= {200, 409}, statuses
    assert len({r.body["id"] for r in responses if r.status == 200}) == 1
    for r in responses:
        if r.status == 409:
            assert_error(r, 409, "idempotency_key_in_use")
    assert await _count(conn, merchant_id) == 1
    replay = await client.post("/v1/invoices", invoice_body(), idempotency_key=key)
    assert replay.headers["Idempotent-Replayed"] == "true"


async def test_in_flight_key_gets_409(client: ApiClient, db_pool: asyncpg.Pool,
                                      merchant_id: str) -> None:
    key = secrets.token_hex(8)
    async with db_pool.acquire() as holder, holder.transaction():
        # Stand in for a first request still running: hold its lock.
        await holder.execute("SELECT pg_advisory_xact_lock(1128482881, hashtext($1))",
                             f"{merchant_id}/true/{key}")  # a live key: mode true
        response = await client.post("/v1/invoices", invoice_body(), idempotency_key=key)
        assert_error(response, 409, "idempotency_key_in_use", "Idempotency-Key")
    assert (await client.post("/v1/invoices", invoice_body(), idempotency_key=key)).status == 200


async def test_errors_are_not_saved(client: ApiClient) -> None:
    key = secrets.token_hex(8)
    bad = await client.post("/v1/invoices", invoice_body(amount=0), idempotency_key=key)
    assert_error(bad, 400, "parameter_out_of_range")
    good = await client.post("/v1/invoices", invoice_body(), idempotency_key=key)
    assert good.status == 200 and "Idempotent-Replayed" not in good.headers


async def test_keys_are_scoped_per_merchant(client: ApiClient,
                                            api_client: Callable[..., ApiClient],
                                            make_api_key: KeyFactory) -> None:
    key = secrets.token_hex(8)
    mine = await client.post("/v1/invoices", invoice_body(), idempotency_key=key)
    theirs = await api_client(await make_api_key()).post("/v1/invoices", invoice_body(),
                                                         idempotency_key=key)
    assert theirs.status == 200 and "Idempotent-Replayed" not in theirs.headers
    assert theirs.body["id"] != mine.body["id"]


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
async def test_malformed_key(client: ApiClient, key: str) -> None:
    response = await client.post("/v1/invoices", invoice_body(), idempotency_key=key)
    assert_error(response, 400, "invalid_idempotency_key", "Idempotency-Key")


async def test_expired_keys_are_ignored_and_purged(client: ApiClient, conn: asyncpg.Connection,
                                                   merchant_id: str) -> None:
    old, fresh = secrets.token_hex(8), secrets.token_hex(8)
    for key, age in ((old, timedelta(hours=25)), (fresh, timedelta(hours=1))):
        await conn.execute(
            "INSERT INTO idempotency_keys (merchant_id, key, request_hash, response_status,"
            " response_body, content_type, created_at)"
            " VALUES ($1, $2, $3, 200, '{}', 'application/json', now() - $4::interval)",
            merchant_id, key, hashlib.sha256(b"other").digest(), age,
        )
    # An expired key no longer binds: the same key with another body creates an invoice.
    response = await client.post("/v1/invoices", invoice_body(), idempotency_key=old)
    assert response.status == 200 and "Idempotent-Replayed" not in response.headers
    assert_error(await client.post("/v1/invoices", invoice_body(), idempotency_key=fresh),
                 422, "idempotency_key_reused")
    await conn.execute("UPDATE idempotency_keys SET created_at = now() - interval '2 days'"
                       " WHERE merchant_id = $1 AND key = $2", merchant_id, old)
    assert await purge(conn, timedelta(hours=24)) >= 1
    keys = {r["key"] for r in await conn.fetch(
        "SELECT key FROM idempotency_keys WHERE merchant_id = $1", merchant_id)}
    assert keys == {fresh}


async def test_retried_cancel_replays_although_the_invoice_is_already_cancelled(
    client: ApiClient, conn: asyncpg.Connection,
) -> None:
    invoice_id = (await client.post("/v1/invoices", invoice_body())).body["id"]
    key = secrets.token_hex(8)
    first = await client.post(f"/v1/invoices/{invoice_id}/cancel", idempotency_key=key)
    assert first.status == 200 and first.body["status"] == "cancelled"
    # Done again, the cancel itself would now fail; the saved answer wins instead.
    again = await client.post(f"/v1/invoices/{invoice_id}/cancel", idempotency_key=key)
    assert again.status == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.raw == first.raw
    events = await conn.fetchval("SELECT count(*) FROM events WHERE invoice_id = $1 "
                                 "AND type = 'invoice.cancelled'", invoice_id)
    assert events == 1
    # Without the key it is a new request, refused as usual.
    assert (await client.post(f"/v1/invoices/{invoice_id}/cancel")).status == 409


async def test_a_replayed_twin_leaves_no_rows_of_its_own(client: ApiClient,
                                                         conn: asyncpg.Connection,
                                                         merchant_id: str) -> None:
    key = secrets.token_hex(8)
    first = await client.post("/v1/invoices", invoice_body(), idempotency_key=key)
    for _ in range(3):
        again = await client.post("/v1/invoices", invoice_body(), idempotency_key=key)
        assert again.headers["Idempotent-Replayed"] == "true"
    assert await _count(conn, merchant_id) == 1
    events = await conn.fetchval("SELECT count(*) FROM events WHERE merchant_id = $1",
                                 merchant_id)
    assert events == 1  # only the first request's invoice.created
    assert first.status == 200
