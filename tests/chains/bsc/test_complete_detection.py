"""Complete detection on BNB Chain, on the devnet with real signed transactions:

- a node that answers a block but `null` receipts, `null` receipt items or empty log arrays
  (a lagging replica) only delays detection: the block is not committed, the step retries
  and the payment is booked once the answers are whole; a node without
  eth_getBlockReceipts is read through per-transaction receipts;
- a payment to a settled, expired or cancelled invoice's address, after the watched set reloaded
  (those invoices left it), is still stored as a transfer of that invoice: from the issued
  set loaded at start, and from one grown by `invoice.created` notices;
- BNB that a contract forwards to a deposit address (an internal transaction, found by call
  tracing) settles the invoice.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from eth_account import Account
from web3 import AsyncHTTPProvider, AsyncWeb3

from gateway.chains.bsc.trace import internal_index
from gateway.devnet import bsc as devnet_bsc
from gateway.devnet import jsonrpc
from gateway.devnet.bsc_wallet import parse_payment_uri, pay_uri
from tests.chains.faultproxy import FaultProxy
from tests.plugins.devnet import Devnets
from tests.plugins.eventually import eventually
from tests.plugins.watchers import (
    Isolated,
    WatchHandle,
    create_invoice,
    entry_count,
    option,
    running_bsc_watcher,
)

AMOUNT = 150_000  # 1,500.00 KZT
WALLET = 2  # a funded test wallet (BNB and the test tokens)

# A contract that forwards its call value to the address in the first calldata word and
# reverts if that call fails: CALL(gas, calldataload(0), callvalue, 0, 0, 0, 0).
FORWARDER_CODE = ("0x6000600060006000"  # retSize retOffset argsSize argsOffset = 0
                  "34"                  # CALLVALUE
                  "60003" "5"           # CALLDATALOAD(0): the recipient
                  "5af1"                # GAS CALL
                  "15601357"            # ISZERO PUSH1 0x13 JUMPI: failed -> revert
                  "00"                  # STOP
                  "5b60006000fd")       # JUMPDEST REVERT(0, 0)
FORWARDER = "0x00000000000000000000000000000000000f0a4d"


@pytest.fixture
async def proxy(devnets: Devnets) -> AsyncIterator[FaultProxy]:
    faults = FaultProxy(devnets.bsc_rpc_url)
    await faults.start()
    yield faults
    await faults.stop()


async def _started(pool: asyncpg.Pool) -> None:
    while not await pool.fetchval("SELECT count(*) FROM chain_cursors"):
        await asyncio.sleep(0.05)


async def _transfers(pool: asyncpg.Pool, invoice_id: str) -> list[asyncpg.Record]:
    return list(await pool.fetch("SELECT * FROM chain_transfers WHERE invoice_id = $1 "
                                 "ORDER BY id", invoice_id))


async def _wait_transfers(pool: asyncpg.Pool, invoice_id: str, count: int
                          ) -> list[asyncpg.Record]:
    async def stored() -> list[asyncpg.Record] | None:
        rows = await _transfers(pool, invoice_id)
        return rows if len(rows) >= count else None

    return await eventually(stored, what=f"{count} transfers of {invoice_id}", timeout=20)


async def test_a_lagging_node_only_delays_detection(isolated: Isolated, devnets: Devnets,
                                                    proxy: FaultProxy) -> None:
    _, client = await isolated.client()
    modes = ("null_receipts", "null_receipt_items", "empty_logs")
    assets = ("BNB", "BNB", "USDT_BSC")
    async with running_bsc_watcher(isolated.pool, isolated.database_url, proxy.url,
                                   isolated.app.url) as watch:
        invoices = [await create_invoice(client, AMOUNT, [asset]) for asset in assets]
        for invoice, asset in zip(invoices, assets, strict=True):
            await watch.wait_watched(option(invoice, asset)["address"])
        await _started(isolated.pool)
        for invoice, asset, mode in zip(invoices, assets, modes, strict=True):
            proxy.mode, errors = mode, watch.watcher.stats.errors
            await pay_uri(option(invoice, asset)["uri"], rpc_url=devnets.bsc_rpc_url,
                          wallet=WALLET)

            async def refused(before: int = errors) -> bool:
                return watch.watcher.stats.errors >= before + 2

            # The block with the payment is refused again and again, nothing is stored.
            await eventually(refused, what=f"{mode} refused twice", timeout=20)
            assert await _transfers(isolated.pool, invoice["id"]) == []
            assert (await watch.invoice(invoice["id"]))["status"] == "new"
        assert proxy.lagged > 0
        proxy.mode = "ok"
        for invoice in invoices:
            await watch.wait_status(invoice["id"], "settled", timeout=30)
            assert await entry_count(isolated.pool, invoice["id"]) == 1


async def test_a_node_without_block_receipts_is_read_per_transaction(
        isolated: Isolated, devnets: Devnets, proxy: FaultProxy) -> None:
    _, client = await isolated.client()
    proxy.mode = "no_block_receipts"
    async with running_bsc_watcher(isolated.pool, isolated.database_url, proxy.url,
                                   isolated.app.url) as watch:
        invoice = await create_invoice(client, AMOUNT, ["BNB"])
        await watch.wait_watched(option(invoice, "BNB")["address"])
        await _started(isolated.pool)
        await pay_uri(option(invoice, "BNB")["uri"], rpc_url=devnets.bsc_rpc_url,
                      wallet=WALLET)
        await watch.wait_status(invoice["id"], "settled", timeout=30)
        assert watch.watcher.scanner.block_receipts is False


async def _pay_again(devnets: Devnets, invoice: dict[str, Any]) -> None:
    await pay_uri(option(invoice, "BNB")["uri"], rpc_url=devnets.bsc_rpc_url, wallet=WALLET)


async def test_payments_to_finished_invoices_are_recorded(isolated: Isolated,
                                                          devnets: Devnets) -> None:
    _, client = await isolated.client()
    # Cancelled before the watcher starts: it is only in the issued set loaded at start.
    cancelled = await create_invoice(client, AMOUNT, ["BNB"])
    response = await client.post(f"/v1/invoices/{cancelled['id']}/cancel", {})
    assert response.status == 200, response.body
    async with running_bsc_watcher(isolated.pool, isolated.database_url,
                                   devnets.bsc_rpc_url, isolated.app.url) as watch:
        # Settled while the watcher runs: it entered the issued set by its notice.
        settled = await create_invoice(client, AMOUNT, ["BNB"])
        await watch.wait_watched(option(settled, "BNB")["address"])
        await _started(isolated.pool)
        await _pay_again(devnets, settled)
        await watch.wait_status(settled["id"], "settled", timeout=30)
        # Expired, its monitoring window over: the invoice is dated back (the sweeper expires it).
        expired = await create_invoice(client, AMOUNT, ["BNB"])
        await isolated.pool.execute(
            "UPDATE invoices SET created_at = now() - interval '2 hours', expires_at = now() - "
            "interval '1 hour', monitoring_window = interval '0' WHERE id = $1", expired["id"])
        await watch.wait_status(expired["id"], "expired")
        await watch.watched.reload()
        for invoice in (cancelled, settled, expired):
            assert watch.watched.invoice_for_address(option(invoice, "BNB")["address"]) is None
            assert option(invoice, "BNB")["address"] in watch.watched.issued
        for invoice in (cancelled, settled, expired):
            await _pay_again(devnets, invoice)
        late = await _wait_transfers(isolated.pool, settled["id"], 2)
        stranded = [*await _wait_transfers(isolated.pool, cancelled["id"], 1),
                    *await _wait_transfers(isolated.pool, expired["id"], 1)]
    assert [r["to_address"].lower() for r in late + stranded] == [
        option(i, "BNB")["address"].lower() for i in (settled, settled, cancelled, expired)]
    assert (await watch.invoice(cancelled["id"]))["status"] == "cancelled"
    assert (await watch.invoice(expired["id"]))["status"] == "expired"
    assert await entry_count(isolated.pool, settled["id"]) == 1  # booked once


async def _forward(rpc_url: str, to: str, units: int) -> str:
    """Send `units` wei to the forwarder contract, naming `to` (a signed transaction)."""
    address, key = devnet_bsc.wallet(WALLET)
    w3 = AsyncWeb3(AsyncHTTPProvider(rpc_url))
    try:
        sender = w3.to_checksum_address(address)
        call: dict[str, Any] = {"from": sender, "to": w3.to_checksum_address(FORWARDER),
                                "value": units, "data": "0x" + "00" * 12 + to[2:].lower()}
        gas = await w3.eth.estimate_gas(call)  # type: ignore[arg-type]
        tx = {**call, "gas": gas, "gasPrice": await w3.eth.gas_price, "chainId":
              devnet_bsc.CHAIN_ID, "nonce": await w3.eth.get_transaction_count(sender,
                                                                                "pending")}
        del tx["from"]
        signed = Account.sign_transaction(tx, key)
        tx_hash = await w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = await w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
        assert receipt["status"] == 1
        return "0x" + bytes(tx_hash).hex()
    finally:
        await w3.provider.disconnect()


async def test_bnb_forwarded_by_a_contract_settles(isolated: Isolated,
                                                   devnets: Devnets) -> None:
    jsonrpc.call(devnets.bsc_rpc_url, "anvil_setCode", [FORWARDER, FORWARDER_CODE])
    _, client = await isolated.client()
    async with running_bsc_watcher(isolated.pool, isolated.database_url,
                                   devnets.bsc_rpc_url, isolated.app.url) as watch:
        invoice = await create_invoice(client, AMOUNT, ["BNB"])
        bnb = option(invoice, "BNB")
        await watch.wait_watched(bnb["address"])
        await _started(isolated.pool)
        tx_hash = await _forward(devnets.bsc_rpc_url, bnb["address"],
                                 parse_payment_uri(bnb["uri"]).units)
        await watch.wait_status(invoice["id"], "settled", timeout=30)
        await _check_internal(watch, invoice["id"], tx_hash)


async def _check_internal(watch: WatchHandle, invoice_id: str, tx_hash: str) -> None:
    [row] = await _transfers(watch.pool, invoice_id)
    assert (row["tx_hash"].lower(), row["log_index"]) == (tx_hash, internal_index(0))
    assert row["from_address"].lower() == FORWARDER
    assert await entry_count(watch.pool, invoice_id) == 1
