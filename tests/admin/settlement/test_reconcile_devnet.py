"""Reconciliation against a real chain: a private anvil (BNB Chain, test tokens), the real
watcher and lifecycle, a fresh database (no other test's books).

Paid and settled -> balanced. A payment to a settled invoice is listed as unmatched and,
assigned to another open invoice, settles it (still balanced). Tokens sent straight to a
deposit address nobody watches any more and a stray ledger entry are both listed.
Dev rates: 1,500.00 KZT is 3 USDT.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from gateway.admin.audit import CLI_ACTOR
from gateway.admin.settlement import service
from gateway.admin.settlement.chain_balances import ChainSources
from gateway.devnet import bsc as devnet_bsc
from gateway.devnet import jsonrpc
from gateway.devnet.bsc_wallet import pay_uri
from gateway.payments.uri import eip681_token
from settlement import ledger
from settlement.money import Money, currency
from settlement.reconciliation.service import Run
from tests.plugins.eventually import eventually
from tests.plugins.watchers import (
    Isolated,
    create_invoice,
    option,
    private_bsc_devnet,
    running_bsc_watcher,
)

# Slow: a private BSC devnet, waiting for finality.
pytestmark = pytest.mark.slow

AMOUNT = 150_000
UNITS = 3 * 10**18


def _sources(rpc_url: str) -> ChainSources:
    return ChainSources(bsc_rpc_url=rpc_url,
                        bsc_tokens={"bsc:USDT": devnet_bsc.USDT_ADDRESS,
                                    "bsc:USDC": devnet_bsc.USDC_ADDRESS},
                        solana_rpc_url=None, solana_treasury=None, solana_mints={})


async def _reconcile(isolated: Isolated, rpc_url: str) -> Run:
    async with isolated.pool.acquire() as conn:
        return await service.run_reconciliation(conn, CLI_ACTOR, isolated.app.settings,
                                                _sources(rpc_url))


async def _finalized_past(pool: asyncpg.Pool, rpc_url: str, tx: str) -> None:
    block = int(jsonrpc.call(rpc_url, "eth_getTransactionReceipt", [tx])["blockNumber"], 16)
    async def finalized() -> bool:
        return bool(await pool.fetchval(
            "SELECT finalized_number FROM chain_cursors WHERE chain = 'bsc'") >= block)

    await eventually(finalized, what=f"the watcher finalizing block {block}", timeout=15)


async def test_reconcile_a_real_chain(isolated: Isolated, tmp_path: Path) -> None:
    _, client = await isolated.client()
    with private_bsc_devnet(tmp_path / "anvil", finality_blocks=2) as rpc_url:
        async with running_bsc_watcher(isolated.pool, isolated.database_url, rpc_url,
                                       isolated.app.url) as watch:
            first = await create_invoice(client, AMOUNT, ["USDT_BSC"])
            second = await create_invoice(client, AMOUNT, ["USDT_BSC"])
            usdt = option(first, "USDT_BSC")
            await watch.wait_watched(option(second, "USDT_BSC")["address"])
            await pay_uri(usdt["uri"], rpc_url=rpc_url, wallet=1)
            await watch.wait_status(first["id"], "settled")
            run = await _reconcile(isolated, rpc_url)
            assert (run.status, run.lines) == ("balanced", []), run.lines

            # The shopper pays the settled invoice again: kept as unapplied, listed.
            await pay_uri(usdt["uri"], rpc_url=rpc_url, wallet=1)
            [again] = (await watch.wait_transfers(first["id"], 2))[1:]
            await _finalized_past(isolated.pool, rpc_url, again["tx_hash"])
            run = await _reconcile(isolated, rpc_url)
            [line] = run.lines
            assert (line.kind, line.asset, line.chain_amount) == (
                "unmatched_payment", "bsc:USDT", UNITS)
            assert line.detail["transfer_id"] == str(again["id"])

            # Assigned to the open invoice, it pays that one: settled, booked, balanced.
            async with isolated.pool.acquire() as conn:
                done = await service.resolve_payment(
                    conn, CLI_ACTOR, isolated.app.settings, str(again["id"]), action="assign",
                    invoice_id=second["id"], note="customer paid twice")
            assert done["invoice_status"] == "settled"
            assert (await _reconcile(isolated, rpc_url)).status == "balanced"

            # Tokens (a wrong asset) straight to the first address after its invoice left the
            # watched set: the watcher still matches every issued address, so the transfer is
            # stored and listed as unmatched with its exact amount; and a ledger entry no
            # transfer explains: both listed.
            await watch.watched.reload()
            assert watch.watched.invoice_for_address(usdt["address"]) is None
            stray = eip681_token(devnet_bsc.USDC_ADDRESS, usdt["address"], 10**18)
            [tx] = await pay_uri(stray, rpc_url=rpc_url, wallet=1, amount=Decimal(1))
            await _finalized_past(isolated.pool, rpc_url, tx)
            async with isolated.pool.acquire() as conn:
                usdc = Money(7, currency("bsc:USDC"))
                await ledger.post(conn, idempotency_key=f"test:{secrets.token_hex(6)}",
                                  kind="manual_adjustment",
                                  postings=[ledger.debit(ledger.custody_of(usdc.currency), usdc),
                                            ledger.credit(ledger.fx_position(usdc.currency),
                                                          usdc)])
            run = await _reconcile(isolated, rpc_url)
    found = sorted((ln.kind, ln.asset, ln.address, ln.ledger_amount, ln.chain_amount,
                    ln.difference) for ln in run.lines)
    assert found == [
        ("custody", "bsc:USDC", None, 7, 0, -7),
        ("unmatched_payment", "bsc:USDC", usdt["address"], None, 10**18, 10**18),
    ]
    assert run.status == "differences"
