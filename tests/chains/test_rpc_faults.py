"""RPC faults only delay detection: HTTP 500s, timeouts and malformed JSON from the node (a
local proxy in front of anvil injects them) are retried with backoff and nothing is skipped;
an eth_getLogs range the node refuses is halved and grows back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from gateway.chains.errors import NodeError
from gateway.chains.rpc import RetryPolicy, RpcClient
from gateway.devnet.bsc_wallet import pay_uri
from gateway.errors import RpcError, RpcTimeout
from tests.chains.faultproxy import FaultProxy
from tests.plugins.devnet import Devnets
from tests.plugins.eventually import eventually
from tests.plugins.watchers import Isolated, create_invoice, option, running_bsc_watcher

AMOUNT = 150_000


@pytest.fixture
async def proxy(devnets: Devnets) -> AsyncIterator[FaultProxy]:
    faults = FaultProxy(devnets.bsc_rpc_url)
    await faults.start()
    yield faults
    await faults.stop()


async def test_client_maps_every_fault(proxy: FaultProxy) -> None:
    rpc = RpcClient(proxy.url, timeout=0.3, retry=RetryPolicy(attempts=1))
    try:
        assert isinstance(await rpc.call("eth_blockNumber"), str)
        assert await rpc.chain_id() == 56
        for mode, error in (("500", RpcError), ("garbage", RpcError), ("timeout", RpcTimeout)):
            proxy.mode = mode
            with pytest.raises(error):
                await rpc.call("eth_blockNumber")
        proxy.mode = "ok"
        with pytest.raises(NodeError):
            await rpc.call("eth_noSuchMethod")
    finally:
        await rpc.close()


async def test_faults_only_delay_detection(isolated: Isolated, devnets: Devnets,
                                           proxy: FaultProxy) -> None:
    _, client = await isolated.client()
    async with running_bsc_watcher(isolated.pool, isolated.database_url, proxy.url,
                                   isolated.app.url) as watch:
        watch.rpc.timeout = 0.3
        invoices = [await create_invoice(client, AMOUNT, ["BNB"]) for _ in range(3)]
        for invoice in invoices:
            await watch.wait_watched(option(invoice, "BNB")["address"])
        # Payments land while the node misbehaves in every way for a while.
        for invoice, mode in zip(invoices, ("500", "timeout", "garbage"), strict=True):
            proxy.mode = mode
            await pay_uri(option(invoice, "BNB")["uri"], rpc_url=devnets.bsc_rpc_url,
                          wallet=2)
            await asyncio.sleep(0.8)
        assert [(await watch.invoice(i["id"]))["status"] for i in invoices] == ["new"] * 3
        proxy.mode = "ok"
        for invoice in invoices:
            await watch.wait_status(invoice["id"], "settled", timeout=20)
        assert watch.watcher.stats.errors >= 3
        assert {"500", "timeout", "garbage"} <= set(proxy.served)


async def test_refused_log_ranges_halve_and_grow_back(isolated: Isolated, devnets: Devnets,
                                                      proxy: FaultProxy) -> None:
    _, client = await isolated.client()
    invoice = await create_invoice(client, AMOUNT, ["USDT_BSC"])
    usdt = option(invoice, "USDT_BSC")
    # Start 40 blocks back: the watcher catches up in spans of 32 that the node refuses
    # above 5 blocks; the payment inside that history is still found.
    await pay_uri(usdt["uri"], rpc_url=devnets.bsc_rpc_url, wallet=2)
    async def head_past_50() -> int:  # enough history behind the head
        head = int(await _head(devnets), 16)
        return head if head >= 50 else 0

    head = await eventually(head_past_50, what="block 50", timeout=30, interval=0.2)
    proxy.max_log_span = 5
    async with running_bsc_watcher(isolated.pool, isolated.database_url, proxy.url,
                                   isolated.app.url, start_block=head - 40, span=32) as watch:
        await watch.wait_status(invoice["id"], "settled", timeout=20)
        refused = proxy.refused_spans
        # Refused spans halve (32 or whatever the head allowed, then 16, 8), never below
        # what the node accepts, and the span grows back after successes.
        assert len(refused) >= 3 and all(span > 5 for span in refused)
        assert refused[1] == 16 and refused[2] == 8
        assert watch.watcher.span.current > 1


async def _head(devnets: Devnets) -> str:
    rpc = RpcClient(devnets.bsc_rpc_url)
    try:
        head: str = await rpc.call("eth_blockNumber")
        return head
    finally:
        await rpc.close()
