"""Helpers shared by the webhook and live-status tests: an app on a real port, merchants with
API keys, raw invoice rows, and a webhook receiver that verifies signatures."""

from __future__ import annotations

import asyncio
import json
import secrets
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.config import LiveSettings, Settings, WebhookSettings
from gateway.merchants.ids import new_id
from gateway.merchants.service import MerchantInput, create_merchant, issue_api_key
from gateway.webhooks import signing
from gateway.webhooks.sealing import seal_secret
from tests.plugins.app import TEST_BIN, running_app, settings_for_tests

PEPPER = "test-pepper"
FAST_WEBHOOKS = WebhookSettings(retry_base=Decimal("0.05"), poll_interval=Decimal("0.2"),
                                timeout=2)
FAST_LIVE = LiveSettings(heartbeat=1, retry=Decimal("0.5"))


def settings_for(database_url: str, **overrides: Any) -> Settings:
    """The shared test settings (tests.plugins.app) made fast: tiny retry base, short polls
    and heartbeats, no rate limiting in the way."""
    fast: dict[str, Any] = {
        "api_key_pepper": PEPPER, "api_rate_limit": 10_000, "api_rate_burst": 10_000,
        "db_pool_size": 6, "webhooks": FAST_WEBHOOKS, "live": FAST_LIVE,
    }
    data_dir = Path(tempfile.gettempdir()) / "ccp-webhook-tests"
    return settings_for_tests(database_url, data_dir, **{**fast, **overrides})


@asynccontextmanager
async def serve_app(settings: Settings) -> AsyncIterator[str]:
    """The real app (`create_app`) on a free port; yields its base URL."""
    async with running_app(settings) as server:
        yield server.url


def _kz_iban() -> str:
    bban = "125KZT" + "".join(secrets.choice("0123456789") for _ in range(10))
    digits = "".join(str(int(c, 36)) for c in bban + "KZ00")
    return f"KZ{98 - int(digits) % 97:02d}{bban}"


@dataclass(frozen=True)
class ShopMerchant:
    id: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


async def make_merchant(conn: asyncpg.Connection) -> ShopMerchant:
    merchant = await create_merchant(
        conn, MerchantInput(name="Webhook test shop", bin=TEST_BIN, iban=_kz_iban()))
    key = await issue_api_key(conn, merchant.id, PEPPER)
    return ShopMerchant(merchant.id, key.secret)


async def insert_invoice(conn: asyncpg.Connection, merchant_id: str, *,
                         amount: int = 1_500_000, metadata: dict[str, str] | None = None) -> str:
    """A raw invoice row with one SOL option (the invoices domain's schema, no API call)."""
    invoice_id = new_id("inv")
    now = datetime.now(UTC)
    await conn.execute(
        "INSERT INTO invoices (id, merchant_id, amount, order_id, metadata, created_at,"
        " expires_at, monitoring_window, solana_reference, solana_recipient, qr_token)"
        " VALUES ($1, $2, $3, 'order-1', $4, $5, $6, '1 day', $7, 'Treasury111', $8)",
        invoice_id, merchant_id, amount, metadata or {"secret_note": "private"}, now,
        now + timedelta(minutes=15), new_id("ref"), new_id("qr"),
    )
    await conn.execute(
        "INSERT INTO invoice_payment_options (invoice_id, asset, position, chain, symbol,"
        " decimals, amount_units, rate, rate_source, rate_fetched_at, uri)"
        " VALUES ($1, 'SOL', 0, 'solana', 'SOL', 9, 20000000001, 75000, 'fixed', $2,"
        " 'solana:Treasury111?amount=20.000000001')",
        invoice_id, now,
    )
    return invoice_id


def invoice_data(invoice_id: str, status: str = "new", amount_paid: int = 0) -> dict[str, Any]:
    """A minimal invoice object in the API's shape, as callers of `emit` pass it."""
    return {
        "id": invoice_id, "object": "invoice", "status": status, "exception": None,
        "amount": 1_500_000, "currency": "KZT", "amount_paid": amount_paid,
        "order_id": "order-1", "metadata": {"secret_note": "private"},
        "payment_options": [{"asset": "SOL", "chain": "solana", "decimals": 9,
                             "amount": "20.000000001", "amount_units": "20000000001",
                             "rate": "75000.00"}],
    }


@dataclass
class Receiver:
    """A webhook endpoint: answers `fail_first` requests per event with 500, then 200."""

    secret: str = ""
    fail_first: int = 0
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        event = json.loads(body)
        header = request.headers.get(signing.SIGNATURE_HEADER, "")
        valid = signing.verify(self.secret, header, body, now=int(time.time()))
        seen = sum(1 for r in self.requests if r["event"]["id"] == event["id"])
        status = 500 if seen < self.fail_first else 200
        if self.delay:
            await asyncio.sleep(self.delay)
        self.requests.append({"event": event, "valid": valid, "status": status,
                              "content_type": request.headers.get("Content-Type")})
        self.arrived.set()
        return web.json_response({"received": status == 200}, status=status)

    def successes(self, event_id: str) -> int:
        return sum(1 for r in self.requests if r["event"]["id"] == event_id
                   and r["status"] == 200)


@asynccontextmanager
async def run_receiver(receiver: Receiver) -> AsyncIterator[Receiver]:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    receiver.url = str(server.make_url("/hook"))
    try:
        yield receiver
    finally:
        await server.close()


async def add_endpoint_row(conn: asyncpg.Connection, merchant_id: str, url: str,
                           events: list[str] | None = None) -> tuple[str, str]:
    """An endpoint straight in the table (id, secret), for worker tests without HTTP; the
    secret stored encrypted with the dev key, as the API stores it."""
    endpoint_id, secret = new_id("we"), signing.new_secret()
    stored = seal_secret(WebhookSettings().secret_key, endpoint_id, secret)
    await conn.execute(
        "INSERT INTO webhook_endpoints (id, merchant_id, url, enabled_events, secret)"
        " VALUES ($1, $2, $3, $4, $5)", endpoint_id, merchant_id, url, events or ["*"], stored)
    return endpoint_id, secret


async def get_json(session: aiohttp.ClientSession, url: str, **kw: Any) -> tuple[int, Any]:
    async with session.get(url, **kw) as resp:
        return resp.status, await resp.json()
