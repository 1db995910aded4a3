"""A refund reconciled against a real chain: a private anvil (BNB Chain, test tokens), the real
watcher, lifecycle, refunds service and refund sender (a fresh hot wallet), a fresh database.

1 USDT paid on an invoice of 3 USDT that then expires is stranded on its deposit address.
Refunded in kind to a fresh address from the hot wallet, it stays on the deposit address: the
run balances, the address line shows it refunded to the base unit (stranded 0), the stranded
payment line is gone, and the hot wallet holds its opening less the refund and its network
fee exactly. A top-up of the wallet outside the gateway is a `refund_wallet` difference, an
item of the exceptions queue; acknowledged, it is the wallet's new opening and the next run
balances again. Dev rates: 1,500.00 KZT is 3 USDT.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
from eth_account import Account

from gateway.admin.audit import CLI_ACTOR
from gateway.admin.exceptions import service as exceptions
from gateway.admin.settlement import service
from gateway.admin.settlement.chain_balances import ChainSources
from gateway.chains.rpc import RetryPolicy, RpcClient
from gateway.devnet import bsc as devnet_bsc
from gateway.devnet import jsonrpc
from gateway.devnet.bsc_wallet import pay_uri
from gateway.devnet.refund_wallets import fund_bsc
from gateway.refunds.sending.bsc import BscNetwork
from gateway.refunds.sending.sender import Sender
from gateway.refunds.sending.signers import BscHotSigner
from gateway.refunds.sending.wiring import token_addresses
from gateway.refunds.service import approve_refund
from settlement.reconciliation.service import HoldingLine, Run
from tests.plugins.eventually import eventually
from tests.plugins.watchers import (
    Isolated,
    create_invoice,
    option,
    private_bsc_devnet,
    running_bsc_watcher,
)
from tests.refunds.helpers import bsc_address, expire

pytestmark = pytest.mark.slow

UNITS = 10**18  # 1 USDT of the 3 asked


def _sources(rpc_url: str, wallet: str) -> ChainSources:
    return ChainSources(bsc_rpc_url=rpc_url,
                        bsc_tokens={"bsc:USDT": devnet_bsc.USDT_ADDRESS,
                                    "bsc:USDC": devnet_bsc.USDC_ADDRESS},
                        solana_rpc_url=None, solana_treasury=None, solana_mints={},
                        refund_wallets={"bsc": wallet})


def _holding(run: Run, address: str) -> HoldingLine:
    [found] = [h for h in run.holdings
               if (h.holding.asset, h.holding.address) == ("bsc:USDT", address.lower())]
    return found


async def _finalized_past(pool: asyncpg.Pool, rpc_url: str, tx: str) -> None:
    block = int(jsonrpc.call(rpc_url, "eth_getTransactionReceipt", [tx])["blockNumber"], 16)

    async def finalized() -> bool:
        return bool(await pool.fetchval(
            "SELECT finalized_number FROM chain_cursors WHERE chain = 'bsc'") >= block)

    await eventually(finalized, what=f"the watcher finalizing block {block}", timeout=20)


def _balance(rpc_url: str, address: str, token: str | None = None) -> int:
    if token is None:
        return int(jsonrpc.call(rpc_url, "eth_getBalance", [address, "latest"]), 16)
    data = "0x70a08231" + address.lower().removeprefix("0x").rjust(64, "0")
    return int(jsonrpc.call(rpc_url, "eth_call", [{"to": token, "data": data}, "latest"]), 16)


async def test_a_refunded_stranded_payment_reconciles_on_a_real_chain(
        isolated: Isolated, tmp_path: Path) -> None:
    _, client = await isolated.client()
    wallet = Account.create()
    settings = isolated.app.settings
    with private_bsc_devnet(tmp_path / "anvil", finality_blocks=2) as rpc_url:
        await fund_bsc(rpc_url, wallet.address)
        sources = _sources(rpc_url, wallet.address)

        async def reconcile() -> Run:
            async with isolated.pool.acquire() as conn:
                return await service.run_reconciliation(conn, CLI_ACTOR, settings, sources)

        async with running_bsc_watcher(isolated.pool, isolated.database_url, rpc_url,
                                       isolated.app.url) as watch:
            invoice = await create_invoice(client, 150_000, ["USDT_BSC"])
            usdt = option(invoice, "USDT_BSC")
            await watch.wait_watched(usdt["address"])
            await pay_uri(usdt["uri"], rpc_url=rpc_url, wallet=1, amount=Decimal(1))
            [paid] = await watch.wait_transfers(invoice["id"], 1)
            await _finalized_past(isolated.pool, rpc_url, paid["tx_hash"])
            await expire(isolated.pool, invoice["id"])

            first = await reconcile()  # records the wallet's openings
            [stranded] = first.lines
            assert (stranded.kind, stranded.chain_amount) == ("stranded_payment", UNITS)
            h = _holding(first, usdt["address"])
            assert (h.chain_units, h.holding.stranded, h.holding.refunded, h.difference) == (
                UNITS, UNITS, 0, 0)
            opening_bnb = _balance(rpc_url, wallet.address)
            opening_usdt = _balance(rpc_url, wallet.address, devnet_bsc.USDT_ADDRESS)
            assert any(f"{wallet.address.lower()}: opening {opening_usdt} recorded" in n
                       for n in first.notes), first.notes

            fresh = bsc_address()
            created = await client.post(f"/v1/invoices/{invoice['id']}/refunds",
                                        {"address": fresh})
            assert created.status == 200, created.body
            refund = created.body
            assert (refund["asset_id"], refund["amount_units"]) == ("USDT_BSC", str(UNITS))
            if refund["status"] == "pending_approval":
                async with isolated.pool.acquire() as conn, conn.transaction():
                    await approve_refund(conn, refund_id=refund["id"], admin="adm_rec_test")
            c = settings.chains
            network = BscNetwork(
                RpcClient(rpc_url, timeout=2.0,
                          retry=RetryPolicy(attempts=2, base_delay=0.05, max_delay=0.3)),
                token_addresses(settings, "bsc"), finality=c.bsc_finality,
                confirmations=c.bsc_confirmations)
            sender = Sender(isolated.pool, {"bsc": network}, {"bsc": BscHotSigner(wallet)},
                            interval=0.1)
            async with running_sender_of(sender):
                async def succeeded() -> dict[str, object] | None:
                    answer = await client.get(f"/v1/refunds/{refund['id']}")
                    assert answer.body["status"] != "failed", answer.body
                    return answer.body if answer.body["status"] == "succeeded" else None

                done = await eventually(succeeded, what="the refund succeeded", timeout=60)
            await network.close()
            assert isinstance(done["tx"], str)
            await _finalized_past(isolated.pool, rpc_url, done["tx"])
            assert _balance(rpc_url, fresh, devnet_bsc.USDT_ADDRESS) == UNITS
            fee = int(await isolated.pool.fetchval(
                "SELECT network_fee_units FROM refunds WHERE id = $1", refund["id"]))
            assert fee > 0
            assert _balance(rpc_url, wallet.address) == opening_bnb - fee
            assert _balance(rpc_url, wallet.address, devnet_bsc.USDT_ADDRESS) == \
                opening_usdt - UNITS

            second = await reconcile()
            assert (second.status, second.lines) == ("balanced", []), second.lines
            h = _holding(second, usdt["address"])
            assert (h.chain_units, h.holding.stranded, h.holding.refunded, h.difference) == (
                UNITS, 0, UNITS, 0)
            assert {"asset": "bsc:USDT", "stranded": "0", "refunded": str(UNITS),
                    "expected": str(UNITS), "chain_units": str(UNITS), "difference": "0"
                    }.items() <= next(x for x in second.as_json()["holdings"]
                                      if x["address"] == usdt["address"].lower()
                                      and x["asset"] == "bsc:USDT").items()
            w = wallet.address.lower()
            assert (f"refund wallet bsc bsc:USDT {w}: chain {opening_usdt - UNITS}, "
                    f"opening {opening_usdt}") in " ".join(second.notes)
            assert f"- refunds {UNITS} - fees 0 = {opening_usdt - UNITS}" in \
                " ".join(second.notes)
            assert f"- refunds 0 - fees {fee} = {opening_bnb - fee}" in " ".join(second.notes)
            async with isolated.pool.acquire() as conn:
                shown = await service.run_detail(conn, second.id)
            assert shown["holdings"] == second.as_json()["holdings"]

            # A top-up outside the gateway: a refund_wallet difference, in the queue.
            top_up = 3 * 10**18
            jsonrpc.call(rpc_url, "anvil_setBalance",
                         [wallet.address, hex(opening_bnb - fee + top_up)])
            head = int(jsonrpc.call(rpc_url, "eth_blockNumber", []), 16)

            async def past_head() -> bool:
                return bool(await isolated.pool.fetchval(
                    "SELECT finalized_number FROM chain_cursors WHERE chain = 'bsc'")
                    >= head + 1)

            await eventually(past_head, what="the watcher finalizing past the top-up",
                             timeout=20)
            third = await reconcile()
            [line] = third.lines
            assert (line.kind, line.asset, line.address, line.ledger_amount,
                    line.chain_amount, line.difference) == (
                "refund_wallet", "bsc:BNB", w, opening_bnb - fee, opening_bnb - fee + top_up,
                top_up)
            async with isolated.pool.acquire() as conn:
                page = await exceptions.page(conn, (), exceptions.Filters(
                    kind="reconciliation"), None, 10)
                [item] = page.items
                assert (item.units, item.asset, item.actions) == (top_up, "bsc:BNB",
                                                                  ("acknowledge",))
                await exceptions.decide(conn, CLI_ACTOR, item.key, "acknowledge",
                                        "funded the refund wallet")
            fourth = await reconcile()
            assert (fourth.status, fourth.lines) == ("balanced", []), fourth.lines


@contextlib.asynccontextmanager
async def running_sender_of(sender: Sender) -> AsyncIterator[None]:
    task = asyncio.ensure_future(sender.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
