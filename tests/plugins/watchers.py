"""Chain watcher fixtures: a BNB Chain watcher (plus the expiry sweeper) on the test devnet.

- `running_bsc_watcher(pool, dsn, rpc_url, public_url, ...)`: async context manager running
  a watched set, a BscWatcher and a Sweeper as tasks with fast timings; yields `WatchHandle`.
- `bsc_watch` (module): that, on the session devnet and database, for the app_server's
  invoices. Module scope: each test module gets a fresh watcher task.
- helpers: `create_invoice(client, ...)`, `pay(uri, rpc_url, ...)`, `WatchHandle.wait_status`,
  and the ledger checks of both chains' end-to-end tests: `settlement_postings`,
  `expected_postings`, `entry_count`.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from gateway.chains.bsc import BscConfig, BscWatcher
from gateway.chains.bsc_scan import BscScanner
from gateway.chains.rpc import RetryPolicy, RpcClient
from gateway.chains.watched import WatchedSet
from gateway.devnet import bsc as devnet_bsc
from gateway.devnet.bsc_wallet import pay_uri
from gateway.devnet.orchestrator import DevnetConfig, down, up
from gateway.lifecycle.scheduler import Sweeper
from gateway.lifecycle.service import LifecycleConfig
from gateway.merchants import service as merchants
from gateway.merchants.ids import random_token
from tests.plugins.app import (
    TEST_IBAN,
    ApiClient,
    RunningApp,
    running_app,
    settings_for_tests,
)
from tests.plugins.db import database_pool, fresh_database
from tests.plugins.devnet import Devnets, free_port
from tests.plugins.eventually import eventually

DEVNET_TOKENS = {devnet_bsc.USDT_ADDRESS.lower(): "USDT_BSC",
                 devnet_bsc.USDC_ADDRESS.lower(): "USDC_BSC"}


@dataclass
class WatchHandle:
    pool: asyncpg.Pool
    watcher: BscWatcher
    watched: WatchedSet
    rpc: RpcClient

    async def invoice(self, invoice_id: str) -> asyncpg.Record:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow("SELECT * FROM invoices WHERE id = $1", invoice_id)
        assert row is not None
        return row

    async def wait_status(self, invoice_id: str, status: str, *, timeout: float = 20.0,
                          amount_paid: int | None = None) -> asyncpg.Record:
        async def reached() -> asyncpg.Record | None:
            row = await self.invoice(invoice_id)
            if row["status"] == status and (amount_paid is None
                                            or row["amount_paid"] == amount_paid):
                return row
            return None

        try:
            return await eventually(reached, what=f"{invoice_id} {status}", timeout=timeout)
        except AssertionError as timed_out:
            row = await self.invoice(invoice_id)
            raise AssertionError(f"{invoice_id} is {row['status']} (paid {row['amount_paid']}), "
                                 f"waited for {status}") from timed_out

    async def wait_transfers(self, invoice_id: str, count: int, status: str = "finalized",
                             timeout: float = 20.0) -> list[asyncpg.Record]:
        """The invoice's stored transfers, once `count` of them have `status`."""
        async def stored() -> list[asyncpg.Record] | None:
            async with self.pool.acquire() as conn:
                rows = list(await conn.fetch(
                    "SELECT * FROM chain_transfers WHERE invoice_id = $1 ORDER BY id",
                    invoice_id))
            return rows if sum(r["status"] == status for r in rows) >= count else None

        return await eventually(stored, what=f"{count} {status} transfers of {invoice_id}",
                                timeout=timeout)

    async def events(self, invoice_id: str) -> list[str]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT type FROM events WHERE invoice_id = $1 ORDER BY created_at, id",
                invoice_id)
        return [r["type"] for r in rows]

    async def wait_watched(self, address: str, timeout: float = 5.0) -> None:
        async def watched() -> bool:
            return self.watched.invoice_for_address(address) is not None

        await eventually(watched, what=f"{address} in the watched set", timeout=timeout,
                         interval=0.02)


@contextlib.asynccontextmanager
async def running_bsc_watcher(pool: asyncpg.Pool, dsn: str, rpc_url: str, public_url: str,
                              *, poll: float = 0.05, sweep: bool = True,
                              watched: WatchedSet | None = None,
                              **config: Any) -> AsyncIterator[WatchHandle]:
    """`watched`: a watched set of the test's own (e.g. one that holds notices back)."""
    watched = watched or WatchedSet(dsn, pool, reload_interval=30)
    rpc = RpcClient(rpc_url, timeout=2.0,
                    retry=RetryPolicy(attempts=2, base_delay=0.05, max_delay=0.3))
    settings = {"poll_interval": poll, "backoff": 0.05, "backoff_cap": 0.5,
                "confirmations": 2, **config}
    watcher = BscWatcher(BscConfig(rpc_url=rpc_url, tokens=DEVNET_TOKENS, **settings), pool,
                         BscScanner(rpc, DEVNET_TOKENS, watched), LifecycleConfig(public_url))
    jobs = [watched.run(), watcher.run()]
    if sweep:
        jobs.append(Sweeper(pool, LifecycleConfig(public_url), interval=0.2).run())
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        yield WatchHandle(pool, watcher, watched, rpc)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await rpc.close()


@pytest.fixture(scope="module")
async def bsc_watch(devnets: Devnets, db_pool: asyncpg.Pool, database_url: str,
                    app_server: RunningApp) -> AsyncIterator[WatchHandle]:
    async with running_bsc_watcher(db_pool, database_url, devnets.bsc_rpc_url,
                                   app_server.url) as handle:
        yield handle


async def create_invoice(client: ApiClient, amount: int, assets: list[str],
                         **fields: Any) -> dict[str, Any]:
    body = {"amount": amount, "currency": "KZT", "assets": assets, **fields}
    response = await client.post("/v1/invoices", body)
    assert response.status == 200, response.body
    invoice: dict[str, Any] = response.body
    return invoice


def option(invoice: dict[str, Any], asset_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(o for o in invoice["payment_options"]
                                 if o["asset_id"] == asset_id)
    return found


async def pay(devnets: Devnets, uri: str, *, amount: Decimal | None = None, split: int = 1,
              wallet: int = 1) -> list[str]:
    return await pay_uri(uri, rpc_url=devnets.bsc_rpc_url, amount=amount, split=split,
                         wallet=wallet)


async def settlement_postings(pool: asyncpg.Pool, invoice_id: str
                              ) -> list[tuple[str, str, int]]:
    """(account code, direction, amount) of the invoice's settlement entry, sorted."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT a.code, p.direction::text AS direction, p.amount
               FROM journal_entries e JOIN postings p ON p.entry_id = e.id
               JOIN ledger_accounts a ON a.id = p.account_id
               WHERE e.idempotency_key = $1""", f"invoice:{invoice_id}:settlement")
    return sorted((r["code"], r["direction"], int(r["amount"])) for r in rows)


def expected_postings(merchant_id: str, currency: str, units: int, tiyn: int,
                      fee: int) -> list[tuple[str, str, int]]:
    """What `settlement_postings` returns for `units` of `currency` booked as `tiyn` KZT."""
    return sorted([
        (f"custody:{currency}", "debit", units),
        (f"fx_position:{currency}", "credit", units),
        ("fx_position:KZT", "debit", tiyn),
        (f"merchant_payable:{merchant_id}", "credit", tiyn - fee),
        ("fee_revenue", "credit", fee),
    ])


async def entry_count(pool: asyncpg.Pool, invoice_id: str) -> int:
    async with pool.acquire() as conn:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM journal_entries WHERE reference = $1", invoice_id)
    return count


@dataclass
class Isolated:
    """A fresh migrated database with the real app on it (own cursors, own watchers)."""

    database_url: str
    pool: asyncpg.Pool
    app: RunningApp
    session: aiohttp.ClientSession

    async def client(self) -> tuple[str, ApiClient]:
        """A new merchant on this database and an API client with its key."""
        data = merchants.MerchantInput(name=f"Iso shop {random_token(6)}", bin="990340000014",
                                       iban=TEST_IBAN)
        async with self.pool.acquire() as conn:
            merchant = await merchants.create_merchant(conn, data)
            issued = await merchants.issue_api_key(conn, merchant.id,
                                                   self.app.settings.api_key_pepper)
        return merchant.id, ApiClient(self.session, self.app.url, issued.secret)


@contextlib.asynccontextmanager
async def isolated_gateway(server_url: str, data_dir: Path) -> AsyncIterator[Isolated]:
    url = await fresh_database(server_url, "ccp_iso")
    async with database_pool(url, min_size=1, max_size=15) as pool:
        # Deposit addresses come from one xpub by sequence number: a fresh database starting
        # at 0 would reuse addresses other tests paid on the shared devnet (a watcher looking
        # back at recent blocks would rightly credit those payments). Start somewhere nobody
        # else is.
        await pool.execute(f"ALTER SEQUENCE bsc_address_index_seq RESTART WITH "
                           f"{1_000_000 + secrets.randbelow(2**30)}")
        async with running_app(settings_for_tests(url, data_dir)) as app, \
                aiohttp.ClientSession() as session:
            yield Isolated(url, pool, app, session)


@contextlib.contextmanager
def private_bsc_devnet(run_dir: Path, *, finality_blocks: int = 20,
                       block_time: str = "0.2") -> Iterator[str]:
    """A throwaway anvil (chain 56, test tokens) of our own, for tests that rewrite history."""
    config = DevnetConfig(run_dir=run_dir, bsc_port=free_port(),
                          bsc_block_time=Decimal(block_time),
                          bsc_finality_blocks=finality_blocks, with_solana=False,
                          persist_bsc_state=False, die_with_parent=True)
    try:
        up(config)
        yield config.bsc_rpc_url
    finally:
        down(config)


@pytest.fixture
async def isolated(pg_server_url: str, tmp_path: Path) -> AsyncIterator[Isolated]:
    async with isolated_gateway(pg_server_url, tmp_path) as env:
        yield env
