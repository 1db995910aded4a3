"""Helpers of the Solana watcher end-to-end tests (tests/chains/test_solana_*.py).

The gateway under test is the real app (API, webhooks) configured with the devnet's treasury
and mints, plus the real watcher runner (`gateway.chains.runner.watch_chain`: leader lock,
watched set over LISTEN/NOTIFY, the Solana watcher) as a task the tests can stop and restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

from gateway.chains.runner import watch_chain
from gateway.config import ChainSettings, Settings, WebhookSettings
from gateway.webhooks import signing
from tests.plugins.app import ApiClient, free_port, settings_for_tests
from tests.plugins.devnet import Devnets
from tests.plugins.eventually import eventually
from tests.plugins.local_server import serve

FAST_CHAINS = ChainSettings(
    rpc_timeout=Decimal(2), rpc_retries=2, backoff=Decimal("0.02"), backoff_cap=Decimal("0.2"),
    leader_poll=Decimal("0.1"), solana_poll_interval=Decimal("0.05"), solana_tx_batch=20,
)


def solana_settings(devnets: Devnets, database_url: str, data_dir: Path,
                    **chains: Any) -> Settings:
    return settings_for_tests(
        database_url, data_dir, solana_rpc_url=devnets.solana_rpc_url or "",
        solana_treasury=devnets.solana_treasury, solana_usdt_mint=devnets.solana_mints["USDT"],
        solana_usdc_mint=devnets.solana_mints["USDC"],
        solana_kzte_mint=devnets.solana_mints["KZTE"], kzte_decimals=2,
        webhooks=WebhookSettings(poll_interval=Decimal("0.1"), retry_base=Decimal("0.1")),
        chains=replace(FAST_CHAINS, **chains),
    )


class KnowsNothing:
    """A watched set that never heard of any invoice (as if its notices were all in flight)."""

    def invoice_for_reference(self, reference: str) -> str | None:
        return None

    async def wait_current(self) -> None:
        return None


class WatcherTask:
    """`python -m gateway watch --chain solana` as a task of the test's event loop."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.task: asyncio.Task[None] | None = None

    def start(self, settings: Settings) -> None:
        assert self.task is None, "already running"
        self.task = asyncio.ensure_future(watch_chain("solana", settings, self.pool))

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def invoice_status(client: ApiClient, invoice_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/invoices/{invoice_id}")
    assert response.status == 200, response.body
    body: dict[str, Any] = response.body
    return body


async def wait_status(client: ApiClient, invoice_id: str, status: str,
                      timeout: float = 20.0) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        body = await invoice_status(client, invoice_id)
        return body if body["status"] == status else None

    found: dict[str, Any] = await eventually(reached, what=f"{invoice_id} {status}",
                                              timeout=timeout)
    return found


async def event_types(client: ApiClient, invoice_id: str) -> list[str]:
    """The invoice's events, oldest first."""
    response = await client.get("/v1/events", params={"invoice": invoice_id, "limit": "100"})
    assert response.status == 200, response.body
    return [e["type"] for e in reversed(response.body["data"])]


async def transfers_of(pool: asyncpg.Pool, signatures: list[str]) -> list[asyncpg.Record]:
    return list(await pool.fetch(
        "SELECT * FROM chain_transfers WHERE chain = 'solana' AND tx_hash = ANY($1::text[]) "
        "ORDER BY id", signatures))


@dataclass
class WebhookReceiver:
    """A merchant's webhook endpoint on 127.0.0.1 recording verified deliveries."""

    port: int = field(default_factory=free_port)
    secret: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        header = request.headers.get(signing.SIGNATURE_HEADER, "")
        if not signing.verify(self.secret, header, body, now=int(time.time())):
            return web.Response(status=400)
        self.received.append(json.loads(body))
        return web.Response(status=204)

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[WebhookReceiver]:
        app = web.Application()
        app.router.add_post("/hooks", self.handle)
        async with serve(app, port=self.port):
            yield self

    def types_for(self, invoice_id: str) -> list[str]:
        return [e["type"] for e in self.received if e["data"]["id"] == invoice_id]


FAULTS = ("http_500", "html", "truncated", "node_error", "stall")


@dataclass
class FaultyProxy:
    """A JSON-RPC endpoint in front of the devnet that answers every `every`-th request with
    the next fault in FAULTS instead of forwarding it: HTTP 500, an HTML error page, JSON cut
    short, a JSON-RPC error object (-32005 node behind), or no answer within `stall` seconds."""

    target: str
    every: int = 4
    stall: float = 1.0
    port: int = field(default_factory=free_port)
    requests: int = 0
    injected: dict[str, int] = field(default_factory=dict)
    session: aiohttp.ClientSession = field(init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _fault(self) -> str | None:
        self.requests += 1
        if self.requests % self.every:
            return None
        fault = FAULTS[(self.requests // self.every) % len(FAULTS)]
        self.injected[fault] = self.injected.get(fault, 0) + 1
        return fault

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        fault = self._fault()
        if fault == "http_500":
            return web.Response(status=500, text="internal error")
        if fault == "html":
            return web.Response(text="<html><body>502 Bad Gateway</body></html>",
                                content_type="text/html")
        if fault == "truncated":
            return web.Response(text='{"jsonrpc": "2.0", "result": [',
                                content_type="application/json")
        if fault == "node_error":
            error = {"code": -32005, "message": "Node is behind by 42 slots"}
            return web.json_response({"jsonrpc": "2.0", "id": 1, "error": error})
        if fault == "stall":
            await asyncio.sleep(self.stall)
        async with self.session.post(self.target, data=body,
                                     headers={"Content-Type": "application/json"}) as resp:
            return web.Response(body=await resp.read(), status=resp.status,
                                content_type="application/json")

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[FaultyProxy]:
        app = web.Application()
        app.router.add_post("/", self.handle)
        async with aiohttp.ClientSession() as self.session, serve(app, port=self.port):
            yield self
