"""The real app on a real port, plus merchant / API key factories and an HTTP client helper.

- `app_settings` (session): test `Settings` on the session database (`database_url`), dev mode,
  fixed rates, explicit token addresses (so the suite does not depend on the devnets).
- `app_server` (session): `create_app(app_settings)` served by web.AppRunner/TCPSite on a free
  127.0.0.1 port in the session event loop; `.url`, `.app`, `.settings`.
- `running_app(settings)`: the same as an async context manager, for tests that need an app
  with other settings (tiny rate limits, stale rates, ...).
- `make_merchant(status="active", **fields) -> merchant id` and
  `make_api_key(merchant_id=None) -> secret` (a new merchant when none is given).
- `api_client(key=None, server=None) -> ApiClient` over a session-wide aiohttp ClientSession.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from multidict import CIMultiDictProxy

from gateway.app import create_app
from gateway.config import Settings, WebhookSettings
from gateway.merchants import service
from gateway.merchants.ids import random_token
from tests.plugins.devnet import free_port as free_port  # re-exported: tests import it here
from tests.plugins.local_server import serve

# Real mainnet token addresses / mints: well-formed values the URIs can carry in tests.
TEST_TOKENS: dict[str, Any] = {
    "bsc_usdt_contract": "0x55d398326f99059fF775485246999027B3197955",
    "bsc_usdc_contract": "0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d",
    "solana_usdt_mint": "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB",
    "solana_usdc_mint": "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
    "solana_kzte_mint": "8jDgRH8GT1zNdg3KMFhph9y9rsYFYjmpDhNZ3smqjCSk",  # sha256("test KZTE mint")
    "solana_treasury": "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM",
}
TEST_IBAN = "KZ86125KZT5004100100"
# Passes settlement.payouts.bin.validate_bin (month 03, control digit 4): merchant creation
# refuses BINs a payout file would refuse.
TEST_BIN = "990340000014"


def settings_for_tests(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    port = free_port()
    base = Settings(
        env="dev", host="127.0.0.1", port=port, public_url=f"http://127.0.0.1:{port}",
        database_url=database_url, data_dir=data_dir, log_level="warning", db_pool_size=20,
    )
    base = replace(base, **TEST_TOKENS)
    return replace(base, **overrides)


@dataclass
class RunningApp:
    url: str
    app: web.Application
    settings: Settings


@contextlib.asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[RunningApp]:
    app = create_app(settings)
    async with serve(app, port=settings.port, host=settings.host):
        yield RunningApp(settings.public_url, app, settings)


@dataclass
class ApiResponse:
    status: int
    headers: CIMultiDictProxy[str]
    raw: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.raw) if self.raw else None

    @property
    def error_code(self) -> str | None:
        body = self.body
        return body["error"]["code"] if isinstance(body, dict) and "error" in body else None


class ApiClient:
    """Requests against one server with one API key (None: no Authorization header)."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, key: str | None) -> None:
        self.session = session
        self.base_url = base_url
        self.key = key

    async def request(self, method: str, path: str, *, json_body: Any = None,
                      data: bytes | str | None = None, idempotency_key: str | None = None,
                      headers: dict[str, str] | None = None,
                      params: dict[str, str] | None = None) -> ApiResponse:
        sent = dict(headers or {})
        if self.key is not None:
            sent.setdefault("Authorization", f"Bearer {self.key}")
        if idempotency_key is not None:
            sent["Idempotency-Key"] = idempotency_key
        if json_body is not None:
            data = json.dumps(json_body)
            sent.setdefault("Content-Type", "application/json")
        async with self.session.request(method, self.base_url + path, data=data, headers=sent,
                                        params=params) as resp:
            return ApiResponse(resp.status, resp.headers, await resp.read())

    async def get(self, path: str, **kwargs: Any) -> ApiResponse:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> ApiResponse:
        return await self.request("POST", path, json_body=body, **kwargs)


@pytest.fixture(scope="session")
def app_settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # No webhook worker in the shared app: with production backoff it would claim (and
    # slowly retry) the deliveries of tests that run their own worker on the same database.
    return settings_for_tests(database_url, tmp_path_factory.mktemp("app-data"),
                              webhooks=WebhookSettings(worker=False))


@pytest.fixture(scope="session")
async def app_server(app_settings: Settings) -> AsyncIterator[RunningApp]:
    async with running_app(app_settings) as server:
        yield server


@pytest.fixture(scope="session")
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    connector = aiohttp.TCPConnector(limit=100)
    async with aiohttp.ClientSession(connector=connector) as session:
        yield session


@pytest.fixture
def make_merchant(db_pool: asyncpg.Pool) -> Callable[..., Awaitable[str]]:
    async def make(status: str = "active", **fields: Any) -> str:
        data = service.MerchantInput(**{
            "name": f"Test shop {random_token(6)}", "bin": TEST_BIN, "iban": TEST_IBAN,
            **fields,
        })
        async with db_pool.acquire() as conn:
            merchant = await service.create_merchant(conn, data)
            if status != "active":
                await service.set_status(conn, merchant.id, status)
        return merchant.id

    return make


@pytest.fixture
def make_api_key(db_pool: asyncpg.Pool, app_settings: Settings,
                 make_merchant: Callable[..., Awaitable[str]]
                 ) -> Callable[..., Awaitable[str]]:
    async def make(merchant_id: str | None = None, *, livemode: bool = True) -> str:
        owner = merchant_id or await make_merchant()
        async with db_pool.acquire() as conn:
            issued = await service.issue_api_key(conn, owner, app_settings.api_key_pepper,
                                                 livemode=livemode)
        return issued.secret

    return make


@pytest.fixture
def api_client(app_server: RunningApp, http_session: aiohttp.ClientSession
               ) -> Callable[..., ApiClient]:
    def make(key: str | None = None, server: RunningApp | None = None) -> ApiClient:
        return ApiClient(http_session, (server or app_server).url, key)

    return make
