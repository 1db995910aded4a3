"""A fork below finality halts Solana loudly, and `chains resync` brings it back; a watcher
whose node fails, or is behind what we already treated as final, turns Solana `lagging`.

A private Solana devnet (50 ms slots, finality 8) and the watcher run the way production runs
it (gateway.pipeline.watch_chain: leader lock, heartbeat, halt). A SOL payment is settled and
booked, then the devnet's fork control (devnetRevert, gateway/devnet/solana/methods_devnet.py)
takes it out of the chain below the finalized slot: the watcher logs `chain_halted` at error
level, /v1/status answers `halted` with the reason, new invoices stop offering Solana assets
(503 chain_unavailable when asked for them only), open checkout pages mark them unavailable,
and the resync records the vanished booked transfer for a decision, undoes nothing booked,
and lets the chain go live again: a payment on the new fork settles.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import structlog
from aiohttp import web

from gateway.checkout.render import page_url
from gateway.config import ChainSettings, Settings
from gateway.devnet.solana import constants as sol
from gateway.devnet.solana.wallet import pay_uri
from gateway.pipeline import watch_chain
from gateway.resync import resync
from gateway.status.service import FAILING
from tests.plugins.app import ApiClient, RunningApp, running_app, settings_for_tests
from tests.plugins.devnet import free_port
from tests.plugins.eventually import eventually
from tests.plugins.local_server import serve
from tests.plugins.solana_devnet import rpc_result, start_solana_devnet
from tests.plugins.watchers import Isolated, create_invoice, entry_count, option

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif("not __import__('gateway.devnet.orchestrator', "
                       "fromlist=['x']).solana_available()",
                       reason="the Solana devnet (solders.litesvm) is not installed"),
]

AMOUNT = 750_000  # 7 500 KZT = 0.1 SOL at the fixed test rate
SOLANA_ASSETS = {"SOL", "USDT_SOL", "USDC_SOL", "KZTE"}


def solana_settings(isolated: Isolated, data_dir: Path, rpc_url: str,
                    lag_limit: str = "30") -> Settings:
    chains = ChainSettings(watch_chains=("solana",), solana_poll_interval=Decimal("0.05"),
                           leader_poll=Decimal("0.2"), backoff=Decimal("0.05"),
                           backoff_cap=Decimal("0.5"), rpc_timeout=Decimal(2), rpc_retries=1,
                           status_heartbeat=Decimal("0.2"), lag_limit=Decimal(lag_limit),
                           solana_finality_check_interval=Decimal("0.5"))
    return settings_for_tests(
        isolated.database_url, data_dir, solana_rpc_url=rpc_url,
        solana_treasury=sol.TREASURY_PUBKEY, solana_usdt_mint=sol.USDT_MINT,
        solana_usdc_mint=sol.USDC_MINT, solana_kzte_mint=sol.KZTE_MINT, kzte_decimals=2,
        chains=chains)


@contextlib.asynccontextmanager
async def watching(settings: Settings, isolated: Isolated) -> AsyncIterator[None]:
    task = asyncio.ensure_future(watch_chain("solana", settings, isolated.pool))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def wait_state(isolated: Isolated, app: RunningApp, state: str,
                     timeout: float = 20, reason: str | None = None) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        async with isolated.session.get(f"{app.url}/v1/status") as response:
            assert response.status == 200
            found: dict[str, Any] = (await response.json())["chains"]["solana"]
        wanted = found["state"] == state and reason in (None, found["reason"])
        return found if wanted else None

    return await eventually(reached, what=f"solana {state}", timeout=timeout)


async def status_of(isolated: Isolated, invoice_id: str) -> str | None:
    status = await isolated.pool.fetchval("SELECT status FROM invoices WHERE id = $1",
                                          invoice_id)
    return str(status) if status is not None else None


async def offers(client: ApiClient, assets: list[str] | None = None) -> set[str] | None:
    body: dict[str, Any] = {"amount": AMOUNT, "currency": "KZT"}
    if assets is not None:
        body["assets"] = assets
    response = await client.post("/v1/invoices", body)
    if response.status != 200:
        return None
    return {o["asset_id"] for o in response.body["payment_options"]}


async def checkout_page(isolated: Isolated, app: RunningApp, invoice_id: str) -> str:
    async with isolated.session.get(f"{app.url}{page_url(invoice_id)}") as response:
        assert response.status == 200
        return await response.text()


async def test_a_fork_below_finality_halts_solana_until_resync(
        isolated: Isolated, tmp_path: Path) -> None:
    with start_solana_devnet(tmp_path / "solana") as devnet:
        settings = solana_settings(isolated, tmp_path, devnet.rpc_url)
        async with running_app(settings) as app:
            _, iso_client = await isolated.client()
            client = ApiClient(iso_client.session, app.url, iso_client.key)
            with structlog.testing.capture_logs() as logs:
                async with watching(settings, isolated):
                    await wait_state(isolated, app, "live")
                    snapshot = await rpc_result(devnet.rpc_url, "devnetSnapshot")
                    invoice = await create_invoice(client, AMOUNT, ["SOL"])
                    [signature] = await pay_uri(option(invoice, "SOL")["uri"],
                                                rpc_url=devnet.rpc_url)
                    await eventually(lambda: _is(isolated, invoice["id"], "settled"),
                                     what="the invoice settled", timeout=30)
                    open_invoice = await create_invoice(client, AMOUNT, ["SOL", "USDT_BSC"])
                    assert await rpc_result(devnet.rpc_url, "devnetRevert", [snapshot]) is True

                    halted = await wait_state(isolated, app, "halted")
                    assert signature in halted["reason"]
                    assert "below finality" in halted["reason"]
                    assert halted["since"] is not None and halted["scanned"] is not None

                    await assert_solana_withdrawn(client)
                    page = await checkout_page(isolated, app, open_invoice["id"])
                    assert page.count('data-available="false"') == 1  # SOL only
                    assert 'value="SOL" class="option" data-chain="solana"' in page

                    done = await resync(settings, "solana", None)
                    await wait_state(isolated, app, "live")
                    await eventually(lambda: _offered(client, ["SOL"]), what="SOL offered",
                                     timeout=5)
                    # The new fork is followed: a payment on it settles, nothing halts.
                    again = await create_invoice(client, AMOUNT, ["SOL"])
                    await pay_uri(option(again, "SOL")["uri"], rpc_url=devnet.rpc_url)
                    await eventually(lambda: _is(isolated, again["id"], "settled"),
                                     what="a payment after the resync settled", timeout=30)
                    assert (await wait_state(isolated, app, "live"))["reason"] is None
            errors = [e for e in logs if e["event"] == "chain_halted"]
            assert errors and all(e["log_level"] == "error" and e["chain"] == "solana"
                                  for e in errors)
            assert "below finality" in errors[0]["reason"]

    # The booked payment the chain no longer has: kept, booked once, listed for a decision.
    transfer = await isolated.pool.fetchrow(
        "SELECT id, status FROM chain_transfers WHERE tx_hash = $1", signature)
    assert transfer is not None and transfer["status"] == "finalized"
    assert done.vanished == [transfer["id"]]
    assert await isolated.pool.fetchval(
        "SELECT count(*) FROM chain_vanished_transfers WHERE transfer_id = $1",
        transfer["id"]) == 1
    assert await status_of(isolated, invoice["id"]) == "settled"
    assert await entry_count(isolated.pool, invoice["id"]) == 1
    assert await entry_count(isolated.pool, again["id"]) == 1


async def _is(isolated: Isolated, invoice_id: str, status: str) -> bool:
    return await status_of(isolated, invoice_id) == status


async def _offered(client: ApiClient, assets: list[str]) -> bool:
    return await offers(client, assets) is not None


async def assert_solana_withdrawn(client: ApiClient) -> None:
    async def offered_without_solana() -> bool:
        assets = await offers(client)
        assert assets is not None
        return not assets & SOLANA_ASSETS

    await eventually(offered_without_solana, what="Solana assets withdrawn", timeout=5)
    refused = await client.post("/v1/invoices", {"amount": AMOUNT, "currency": "KZT",
                                                 "assets": ["SOL", "KZTE"]})
    assert refused.status == 503, refused.body
    error = refused.body["error"]
    assert (error["code"], error["param"]) == ("chain_unavailable", "assets")
    assert "Solana (solana) is halted" in error["message"]


async def test_a_solana_watcher_whose_node_fails_turns_the_chain_lagging(
        isolated: Isolated, tmp_path: Path) -> None:
    """No node at all: after CHAIN_LAG_LIMIT Solana is lagging, the reason is the node's
    failure (the URL stays out of the public answer), Solana assets are withdrawn."""
    settings = solana_settings(isolated, tmp_path, f"http://127.0.0.1:{free_port()}",
                               lag_limit="1")
    async with running_app(settings) as app, watching(settings, isolated):
        lagging = await wait_state(isolated, app, "lagging")
        _, iso_client = await isolated.client()
        client = ApiClient(iso_client.session, app.url, iso_client.key)
        response = await client.post("/v1/invoices", {"amount": AMOUNT, "currency": "KZT",
                                                      "assets": ["SOL"]})
    assert lagging["reason"] == FAILING
    assert lagging["lag_seconds"] >= 1 and lagging["since"] is not None
    assert response.status == 503, response.body
    assert "Solana (solana) is lagging" in response.body["error"]["message"]
    assert await isolated.pool.fetchval(
        "SELECT heartbeat_at IS NULL FROM chain_status WHERE chain = 'solana'") is True


@dataclass
class LaggingReplica:
    """A JSON-RPC proxy in front of the devnet that, while `behind` is set, answers the
    finalized slot as `behind` (a load-balancer replica far behind): everything else is the
    devnet's own answer."""

    target: str
    behind: int | None = None
    session: aiohttp.ClientSession = field(init=False)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        ask = json.loads(body)
        if self.behind is not None and isinstance(ask, dict) and ask.get("method") == "getSlot" \
                and ask.get("params") == [{"commitment": "finalized"}]:
            return web.json_response({"jsonrpc": "2.0", "id": ask.get("id"),
                                      "result": self.behind})
        async with self.session.post(self.target, data=body,
                                     headers={"Content-Type": "application/json"}) as resp:
            return web.Response(body=await resp.read(), status=resp.status,
                                content_type="application/json")

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        app = web.Application()
        app.router.add_post("/", self.handle)
        async with aiohttp.ClientSession() as self.session, serve(app) as url:
            yield url


async def test_a_node_behind_our_finality_turns_solana_lagging_not_halted(
        isolated: Isolated, tmp_path: Path) -> None:
    """The node still knows every finalized transaction of ours, but its finalized slot is
    below one we already treated as final: retried (never halted), lagging after the limit,
    live again once it catches up."""
    with start_solana_devnet(tmp_path / "solana") as devnet:
        replica = LaggingReplica(devnet.rpc_url)
        async with replica.serving() as proxy_url:
            settings = solana_settings(isolated, tmp_path, proxy_url, lag_limit="1")
            async with running_app(settings) as app, watching(settings, isolated):
                _, iso_client = await isolated.client()
                client = ApiClient(iso_client.session, app.url, iso_client.key)
                await wait_state(isolated, app, "live")
                invoice = await create_invoice(client, AMOUNT, ["SOL"])
                await pay_uri(option(invoice, "SOL")["uri"], rpc_url=devnet.rpc_url)
                await eventually(lambda: _is(isolated, invoice["id"], "settled"),
                                 what="the invoice settled", timeout=30)
                replica.behind = 1
                # (A loaded machine may make it briefly lagging for slowness first.)
                await wait_state(isolated, app, "lagging", reason=FAILING)
                error = await isolated.pool.fetchval(
                    "SELECT last_error FROM chain_status WHERE chain = 'solana'")
                assert "below slot" in error and "already final here" in error
                replica.behind = None
                await wait_state(isolated, app, "live")
    assert await isolated.pool.fetchval(
        "SELECT halted_reason FROM chain_status WHERE chain = 'solana'") is None
