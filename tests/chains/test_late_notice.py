"""A payment mined and scanned before the watcher hears of its invoice is still credited.

Deterministic: the watcher runs with a watched set that holds `invoice.created` notices back,
so the payment's block is certainly scanned while the deposit address is unknown (nothing is
recorded). Then the invoice enters the set (the held notice, or a reload as after a
reconnection) and the ring of recent transfers (gateway.chains.recent) finds the payment: the
invoice goes processing -> settled and is booked once. A successor watcher that starts after
its predecessor scanned such a payment finds it by re-reading the recent blocks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from gateway.chains.watched import WatchedSet
from gateway.devnet import jsonrpc
from tests.plugins.app import ApiClient, RunningApp
from tests.plugins.devnet import Devnets
from tests.plugins.eventually import eventually
from tests.plugins.watchers import (
    WatchHandle,
    create_invoice,
    entry_count,
    option,
    pay,
    running_bsc_watcher,
)

AMOUNT = 150_000  # 1,500.00 KZT = 3 USDT at the dev rates


class HeldNotices(WatchedSet):
    """A watched set whose `invoice.created` notices wait until `release()`."""

    def __init__(self, dsn: str, pool: asyncpg.Pool) -> None:
        super().__init__(dsn, pool, reload_interval=3_600)
        self.holding = True
        self.held: list[tuple[Any, int, str, object]] = []

    def _on_notice(self, conn: Any, pid: int, channel: str, payload: object) -> None:
        if self.holding:
            self.held.append((conn, pid, channel, payload))
            return
        super()._on_notice(conn, pid, channel, payload)

    def release(self) -> None:
        self.holding = False
        for notice in self.held:
            super()._on_notice(*notice)
        self.held.clear()


@pytest.fixture
async def client(api_client: Callable[..., ApiClient],
                 make_merchant: Callable[..., Awaitable[str]],
                 make_api_key: Callable[..., Awaitable[str]]) -> ApiClient:
    return api_client(await make_api_key(await make_merchant()))


async def _scanned_past(pool: asyncpg.Pool, block: int, timeout: float = 15.0) -> None:
    async def scanned() -> bool:
        cursor = await pool.fetchval("SELECT block_number FROM chain_cursors WHERE chain = 'bsc'")
        return cursor is not None and cursor >= block

    await eventually(scanned, what=f"the watcher scanning block {block}", timeout=timeout)


async def _pay_unwatched(watch: WatchHandle, held: HeldNotices, devnets: Devnets,
                         client: ApiClient) -> dict[str, Any]:
    """An invoice paid in USDT and scanned while its address is not watched."""
    await held.wait_current()
    invoice = await create_invoice(client, AMOUNT, ["USDT_BSC"])
    usdt = option(invoice, "USDT_BSC")
    [tx] = await pay(devnets, usdt["uri"])
    receipt = jsonrpc.call(devnets.bsc_rpc_url, "eth_getTransactionReceipt", [tx])
    await _scanned_past(watch.pool, int(receipt["blockNumber"], 16))
    assert held.held, "the invoice.created notice never arrived"
    assert held.invoice_for_address(usdt["address"]) is None
    async with watch.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM chain_transfers WHERE invoice_id = $1",
                                   invoice["id"]) == 0
    assert (await watch.invoice(invoice["id"]))["status"] == "new"
    return invoice


@pytest.mark.parametrize("enters_by", ["notice", "reload"])
async def test_payment_scanned_before_its_invoice_was_watched_settles(
        enters_by: str, devnets: Devnets, db_pool: asyncpg.Pool, database_url: str,
        app_server: RunningApp, client: ApiClient) -> None:
    held = HeldNotices(database_url, db_pool)
    async with running_bsc_watcher(db_pool, database_url, devnets.bsc_rpc_url, app_server.url,
                                   watched=held) as watch:
        invoice = await _pay_unwatched(watch, held, devnets, client)
        if enters_by == "notice":
            held.release()
        else:  # a notice lost with its connection: the reload after reconnecting brings it
            await held.reload()
        settled = await watch.wait_status(invoice["id"], "settled", timeout=15)
        assert (settled["amount_paid"], settled["exception"]) == (AMOUNT, None)
        assert watch.watcher.stats.late == 1
        assert await watch.events(invoice["id"]) == [
            "invoice.created", "invoice.processing", "invoice.settled"]
        assert await entry_count(db_pool, invoice["id"]) == 1


async def test_successor_finds_a_payment_its_predecessor_scanned_unwatched(
        devnets: Devnets, db_pool: asyncpg.Pool, database_url: str,
        app_server: RunningApp, client: ApiClient) -> None:
    held = HeldNotices(database_url, db_pool)
    async with running_bsc_watcher(db_pool, database_url, devnets.bsc_rpc_url, app_server.url,
                                   watched=held, sweep=False) as first:
        invoice = await _pay_unwatched(first, held, devnets, client)
    # The first watcher stopped without hearing of the invoice; the next one loads the whole
    # set and re-reads the recent blocks up to the cursor it inherits.
    async with running_bsc_watcher(db_pool, database_url, devnets.bsc_rpc_url,
                                   app_server.url) as second:
        await second.wait_status(invoice["id"], "settled", timeout=15)
        assert second.watcher.stats.late == 1
    assert await entry_count(db_pool, invoice["id"]) == 1
