"""A reorg below finality halts BNB Chain loudly, and `chains resync` brings it back.

Private anvil (finality 10 blocks = 2 s at 0.2 s blocks), the watcher run the way production
runs it (gateway.pipeline.watch_chain: leader lock, heartbeat, halt). A payment is settled
and booked, then evm_revert rewrites history below it: the watcher logs `chain_halted` at
error level, stores the halt (a restart keeps saying so), /v1/status answers `halted` with
the reason, new invoices stop offering BNB Chain assets (503 chain_unavailable when asked
for them only), and the resync records the vanished booked transfer for a decision, undoes
nothing booked, and lets the chain go live again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import structlog

from gateway.checkout.render import page_url
from gateway.config import ChainSettings, Settings
from gateway.devnet import jsonrpc
from gateway.devnet.bsc_wallet import pay_uri
from gateway.pipeline import watch_chain
from gateway.resync import resync
from gateway.status.service import FAILING
from tests.plugins.app import ApiClient, running_app, settings_for_tests
from tests.plugins.devnet import free_port
from tests.plugins.eventually import eventually
from tests.plugins.watchers import (
    Isolated,
    create_invoice,
    entry_count,
    option,
    private_bsc_devnet,
)

pytestmark = pytest.mark.slow

AMOUNT = 150_000


def watcher_settings(isolated: Isolated, rpc_url: str) -> Settings:
    chains = ChainSettings(watch_chains=("bsc",), bsc_poll_interval=Decimal("0.05"),
                           leader_poll=Decimal("0.2"), backoff=Decimal("0.05"),
                           backoff_cap=Decimal("0.5"), bsc_confirmations=2,
                           status_heartbeat=Decimal("0.2"))
    return replace(isolated.app.settings, chains=chains, bsc_rpc_url=rpc_url)


@contextlib.asynccontextmanager
async def watching(settings: Settings, isolated: Isolated) -> AsyncIterator[None]:
    task = asyncio.ensure_future(watch_chain("bsc", settings, isolated.pool))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def chain_status(isolated: Isolated, chain: str, url: str | None = None
                       ) -> dict[str, Any]:
    async with isolated.session.get(f"{url or isolated.app.url}/v1/status") as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
    state: dict[str, Any] = body["chains"][chain]
    return state


async def wait_state(isolated: Isolated, state: str, timeout: float = 20,
                     url: str | None = None) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        found = await chain_status(isolated, "bsc", url)
        return found if found["state"] == state else None

    return await eventually(reached, what=f"bsc {state}", timeout=timeout)


async def wait_following(isolated: Isolated) -> dict[str, Any]:
    """Live with the watcher's cursor stored (its heartbeat names the block it scanned).
    `live` alone is also what a chain nobody reports on yet answers: a snapshot taken
    before the watcher's first step lies below the block its cursor starts at, and the
    revert then leaves no common block at all instead of a fork below finality."""
    async def reached() -> dict[str, Any] | None:
        found = await chain_status(isolated, "bsc")
        return found if found["state"] == "live" and found["scanned"] is not None else None

    return await eventually(reached, what="bsc live with its cursor stored", timeout=20)


async def settled(isolated: Isolated, invoice_id: str) -> bool:
    status = await isolated.pool.fetchval("SELECT status FROM invoices WHERE id = $1",
                                          invoice_id)
    return bool(status == "settled")


async def test_a_revert_below_finality_halts_bsc_until_resync(
        isolated: Isolated, tmp_path: Path) -> None:
    _, client = await isolated.client()
    with private_bsc_devnet(tmp_path / "anvil", finality_blocks=10) as rpc_url:
        settings = watcher_settings(isolated, rpc_url)
        with structlog.testing.capture_logs() as logs:
            async with watching(settings, isolated):
                await wait_following(isolated)
                invoice = await create_invoice(client, AMOUNT, ["USDT_BSC"])
                snapshot = jsonrpc.call(rpc_url, "evm_snapshot")
                await asyncio.sleep(0.5)  # the fork point lies below the payment
                await pay_uri(option(invoice, "USDT_BSC")["uri"], rpc_url=rpc_url, wallet=1)
                await eventually(lambda: settled(isolated, invoice["id"]),
                                 what="the invoice settled", timeout=30)
                open_invoice = await create_invoice(client, AMOUNT, ["USDT_BSC", "USDT_SOL"])
                assert jsonrpc.call(rpc_url, "evm_revert", [snapshot]) is True

                halted = await wait_state(isolated, "halted")
                started = [e for e in logs if e["event"] == "bsc_cursor_started"]
                assert "below finalized" in halted["reason"], (halted, started, snapshot)
                assert halted["since"] is not None and halted["scanned"] is not None
            # A restart says it again, at error level, instead of stalling without a word.
            async with watching(settings, isolated):
                async def logged_again() -> bool:
                    return sum(e["event"] == "chain_halted" for e in logs) >= 2

                await eventually(logged_again, what="the halt logged again on restart",
                                 timeout=10)
                await assert_bsc_withdrawn(client)
                page = await checkout_page(isolated, open_invoice["id"])
                assert page.count('data-available="false"') == 1  # USDT_BSC only
                assert ('value="USDT_BSC" class="option" data-chain="bsc" aria-pressed="false"'
                        in page)

                done = await resync(settings, "bsc", None)
                await wait_state(isolated, "live")
                # Back: BNB Chain assets are offered again (after the 1 s status cache).
                await eventually(lambda: offered(client, "USDT_BSC"), what="USDT_BSC offered",
                                 timeout=5)
                assert 'data-available="false"' not in await checkout_page(
                    isolated, open_invoice["id"])
        errors = [e for e in logs if e["event"] == "chain_halted"]
        assert all(e["log_level"] == "error" and e["chain"] == "bsc" for e in errors)
        assert "below finalized" in errors[0]["reason"]

    # The booked payment the chain no longer has: kept, booked once, listed for a decision.
    transfer = await isolated.pool.fetchrow(
        "SELECT id, status FROM chain_transfers WHERE invoice_id = $1", invoice["id"])
    assert transfer is not None and transfer["status"] == "finalized"
    assert done.vanished == [transfer["id"]]
    assert done.fork_block is not None
    assert await isolated.pool.fetchval(
        "SELECT count(*) FROM chain_vanished_transfers WHERE transfer_id = $1",
        transfer["id"]) == 1
    assert await settled(isolated, invoice["id"])
    assert await entry_count(isolated.pool, invoice["id"]) == 1
    # The heartbeat carried the watcher's counters (for /metrics).
    counted = await isolated.pool.fetchrow(
        "SELECT transfers, errors FROM chain_status WHERE chain = 'bsc'")
    assert counted is not None and counted["transfers"] >= 1


async def checkout_page(isolated: Isolated, invoice_id: str) -> str:
    async with isolated.session.get(f"{isolated.app.url}{page_url(invoice_id)}") as response:
        assert response.status == 200
        return await response.text()


async def offered(client: ApiClient, asset_id: str) -> bool:
    response = await client.post("/v1/invoices", {"amount": AMOUNT, "currency": "KZT",
                                                  "assets": [asset_id]})
    return response.status == 200


async def assert_bsc_withdrawn(client: ApiClient) -> None:
    async def offered_without_bsc() -> dict[str, Any] | None:
        response = await client.post("/v1/invoices", {"amount": AMOUNT, "currency": "KZT"})
        assert response.status == 200, response.body
        assets = {o["asset_id"] for o in response.body["payment_options"]}
        return response.body if not assets & {"BNB", "USDT_BSC", "USDC_BSC"} else None

    await eventually(offered_without_bsc, what="BNB Chain assets withdrawn", timeout=5)
    refused = await client.post("/v1/invoices", {"amount": AMOUNT, "currency": "KZT",
                                                 "assets": ["USDT_BSC", "BNB"]})
    assert refused.status == 503, refused.body
    error = refused.body["error"]
    assert (error["code"], error["param"]) == ("chain_unavailable", "assets")
    assert "BNB Chain (bsc) is halted" in error["message"]


async def test_a_watcher_whose_node_fails_turns_the_chain_lagging(
        isolated: Isolated, tmp_path: Path) -> None:
    """No node at all: after CHAIN_LAG_LIMIT the chain is lagging, the reason is the node's
    error, and BNB Chain assets are withdrawn; nothing is halted."""
    base = watcher_settings(isolated, f"http://127.0.0.1:{free_port()}")
    # The reader applies the limit: this app (and the watcher) run with a 1 s one.
    settings = settings_for_tests(isolated.database_url, tmp_path, bsc_rpc_url=base.bsc_rpc_url,
                                  chains=replace(base.chains, lag_limit=Decimal("1")))
    async with running_app(settings) as app, watching(settings, isolated):
        lagging = await wait_state(isolated, "lagging", url=app.url)
        _, client = await isolated.client()
        response = await ApiClient(client.session, app.url, client.key).post(
            "/v1/invoices", {"amount": AMOUNT, "currency": "KZT", "assets": ["BNB"]})
    # It stopped on purpose (cancelled): it stood down, so no stale heartbeat lingers.
    assert await isolated.pool.fetchval(
        "SELECT heartbeat_at IS NULL FROM chain_status WHERE chain = 'bsc'") is True
    assert lagging["reason"] == FAILING  # public: the node URL (maybe a key) stays out
    assert lagging["lag_seconds"] >= 1 and lagging["since"] is not None
    assert response.status == 503, response.body
    assert "BNB Chain (bsc) is lagging" in response.body["error"]["message"]
