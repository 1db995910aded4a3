"""Webhook signing secrets encrypted at rest (gateway.webhooks.sealing) and never kept in a
saved idempotent response: the row holds only ciphertext, a replay answers without the
secret, rows stored in plain text before are encrypted at start, and deliveries still sign
with the secret the merchant was shown."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest

from gateway.config import WebhookSettings
from gateway.merchants.ids import new_id
from gateway.webhooks import signing
from gateway.webhooks.sealing import (
    PREFIX,
    SecretUnreadable,
    open_secret,
    seal_plain_secrets,
    seal_secret,
)
from tests.webhooks.support import make_merchant, serve_app, settings_for

KEY = WebhookSettings().secret_key


@pytest.fixture
async def api(own_db_url: str) -> AsyncIterator[str]:
    async with serve_app(settings_for(own_db_url)) as base:
        yield base


async def test_secret_is_stored_encrypted_and_not_replayed(
        api: str, own_conn: asyncpg.Connection) -> None:
    merchant = await make_merchant(own_conn)
    headers = {**merchant.headers, "Idempotency-Key": f"k-{secrets.token_hex(6)}"}
    body = {"url": "http://127.0.0.1:9/ccp", "enabled_events": ["invoice.settled"]}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{api}/v1/webhook_endpoints", json=body, headers=headers) as r:
            assert r.status == 200, await r.text()
            created = await r.json()
        async with http.post(f"{api}/v1/webhook_endpoints", json=body, headers=headers) as r:
            assert r.headers.get("Idempotent-Replayed") == "true"
            replayed = await r.json()
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert "secret" not in replayed  # shown once: a replay does not repeat it
    assert replayed == {k: v for k, v in created.items() if k != "secret"}
    stored = await own_conn.fetchval("SELECT secret FROM webhook_endpoints WHERE id = $1",
                                     created["id"])
    assert stored.startswith(PREFIX) and secret not in stored
    assert open_secret(KEY, created["id"], stored) == secret
    saved = await own_conn.fetch("SELECT response_body FROM idempotency_keys "
                                 "WHERE merchant_id = $1", merchant.id)
    assert saved and all(secret.encode() not in bytes(r["response_body"]) for r in saved)


async def test_plain_secrets_are_sealed_in_place(own_conn: asyncpg.Connection) -> None:
    merchant = await make_merchant(own_conn)
    endpoint_id, plain = new_id("we"), signing.new_secret()
    await own_conn.execute(
        "INSERT INTO webhook_endpoints (id, merchant_id, url, enabled_events, secret)"
        " VALUES ($1, $2, 'https://hooks.example.kz/x', '{*}', $3)", endpoint_id, merchant.id,
        plain)
    assert open_secret(KEY, endpoint_id, plain) == plain  # still readable before sealing
    assert await seal_plain_secrets(own_conn, KEY) >= 1
    stored = await own_conn.fetchval("SELECT secret FROM webhook_endpoints WHERE id = $1",
                                     endpoint_id)
    assert stored.startswith(PREFIX) and open_secret(KEY, endpoint_id, stored) == plain
    assert await seal_plain_secrets(own_conn, KEY) == 0  # idempotent


def test_sealed_secret_is_bound_to_its_key_and_endpoint() -> None:
    sealed = seal_secret(KEY, "we_one", "whsec_abc")
    assert sealed != seal_secret(KEY, "we_one", "whsec_abc")  # a fresh nonce each time
    with pytest.raises(SecretUnreadable):
        open_secret(KEY, "we_two", sealed)  # copied onto another endpoint's row
    with pytest.raises(SecretUnreadable):
        open_secret(bytes(32), "we_one", sealed)  # another key
