"""A BNB Chain reorg after detection and before finality: the payment disappears, the
invoice moves back from processing to new (event `invoice.reverted`), nothing is booked; a
payment made afterwards on the new chain still settles it.

Private anvil (finality 10 blocks = 2 s at 0.2 s blocks) so the reorg can land in the gap;
evm_snapshot / evm_revert rewrite history below the payment block.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gateway.devnet import jsonrpc
from gateway.devnet.bsc_wallet import pay_uri
from tests.plugins.watchers import (
    Isolated,
    create_invoice,
    entry_count,
    option,
    private_bsc_devnet,
    running_bsc_watcher,
)

# Slow: a private BSC devnet per test, waiting for blocks.
pytestmark = pytest.mark.slow

AMOUNT = 150_000


async def test_reorg_moves_the_invoice_back_and_books_nothing(
        isolated: Isolated, tmp_path: Path) -> None:
    _, client = await isolated.client()
    with private_bsc_devnet(tmp_path / "anvil", finality_blocks=10) as rpc_url:
        async with running_bsc_watcher(isolated.pool, isolated.database_url, rpc_url,
                                       isolated.app.url) as watch:
            invoice = await create_invoice(client, AMOUNT, ["USDT_BSC"])
            usdt = option(invoice, "USDT_BSC")
            await watch.wait_watched(usdt["address"])
            snapshot = jsonrpc.call(rpc_url, "evm_snapshot")
            await asyncio.sleep(0.5)  # a few blocks, so the fork point is below the payment
            await pay_uri(usdt["uri"], rpc_url=rpc_url, wallet=1)
            await watch.wait_status(invoice["id"], "processing", timeout=5)
            assert jsonrpc.call(rpc_url, "evm_revert", [snapshot]) is True

            back = await watch.wait_status(invoice["id"], "new", timeout=10)
            assert (back["amount_paid"], back["exception"]) == (0, None)
            assert watch.watcher.stats.reorgs >= 1
            removed = await watch.wait_transfers(invoice["id"], 1, status="removed")
            assert [t["status"] for t in removed] == ["removed"]
            # Well past the old payment's finality: still nothing booked, still unpaid.
            await asyncio.sleep(3)
            assert (await watch.invoice(invoice["id"]))["status"] == "new"
            assert await entry_count(isolated.pool, invoice["id"]) == 0
            assert await watch.events(invoice["id"]) == [
                "invoice.created", "invoice.processing", "invoice.reverted"]

            # The shopper pays again on the new chain: processing, settled, booked once.
            await pay_uri(usdt["uri"], rpc_url=rpc_url, wallet=1)
            await watch.wait_status(invoice["id"], "settled", timeout=15)
            assert await entry_count(isolated.pool, invoice["id"]) == 1
