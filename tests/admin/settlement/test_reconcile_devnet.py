"""Reconciliation against a real chain: a private anvil (BNB Chain, test tokens), the real
watcher and lifecycle, a fresh database (no other test's books).

Paid and settled -> balanced. A payment to a settled invoice is listed as unmatched and,
assigned to another open invoice, settles it (still balanced). Tokens sent straight to a
deposit address nobody watches any more and a stray ledger entry are both listed. At every
step the run's holdings say, to the base unit, what the chain holds on each address:
booked + pending + stranded + unmatched (+ refunded) - vanished.
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
from settlement.reconciliation.service import HoldingLine, Run
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


def _holding(run: Run, asset: str, address: str) -> HoldingLine:
    [found] = [h for h in run.holdings
               if (h.holding.asset, h.holding.address) == (asset, address.lower())]
    return found


def _explained(line: HoldingLine) -> tuple[int | None, int, int, int, int | None]:
    h = line.holding
    return line.chain_units, h.booked, h.unmatched, h.pending + h.stranded, line.difference


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
            assert _explained(_holding(run, "bsc:USDT", usdt["address"])) == (
                UNITS, UNITS, 0, 0, 0)

            # The shopper pays the settled invoice again: kept as unapplied, listed.
            await pay_uri(usdt["uri"], rpc_url=rpc_url, wallet=1)
            [again] = (await watch.wait_transfers(first["id"], 2))[1:]
            await _finalized_past(isolated.pool, rpc_url, again["tx_hash"])
            run = await _reconcile(isolated, rpc_url)
            [line] = run.lines
            assert (line.kind, line.asset, line.chain_amount) == (
                "unmatched_payment", "bsc:USDT", UNITS)
            assert line.detail["transfer_id"] == str(again["id"])
            assert _explained(_holding(run, "bsc:USDT", usdt["address"])) == (
                2 * UNITS, UNITS, UNITS, 0, 0)
            stored = await isolated.pool.fetch(
                "SELECT asset, booked, unmatched, chain_units, difference, refunded "
                "FROM reconciliation_holdings WHERE run_id = $1", run.id)
            assert [tuple(r) for r in stored] == [("bsc:USDT", UNITS, UNITS, 2 * UNITS, 0, 0)]

            # Assigned to the open invoice, it pays that one: settled, booked, balanced.
            async with isolated.pool.acquire() as conn:
                done = await service.resolve_payment(
                    conn, CLI_ACTOR, isolated.app.settings, str(again["id"]), action="assign",
                    invoice_id=second["id"], note="customer paid twice")
            assert done["invoice_status"] == "settled"
            run = await _reconcile(isolated, rpc_url)
            assert run.status == "balanced"
            assert _explained(_holding(run, "bsc:USDT", usdt["address"])) == (
                2 * UNITS, 2 * UNITS, 0, 0, 0)

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
    assert _explained(_holding(run, "bsc:USDC", usdt["address"])) == (10**18, 0, 10**18, 0, 0)
    shown = run.as_json()["holdings"]
    assert {"chain": "bsc", "asset": "bsc:USDC", "address": usdt["address"].lower(),
            "booked": "0", "pending": "0", "stranded": "0", "unmatched": str(10**18),
            "refunded": "0", "vanished": "0", "expected": str(10**18),
            "chain_units": str(10**18), "difference": "0"} in shown
