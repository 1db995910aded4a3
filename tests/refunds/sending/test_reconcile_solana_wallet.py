"""The Solana refund hot wallet in reconciliation, on the session's Solana devnet and a fresh
database: a SOL refund and an SPL refund (which creates the shopper's token account) are sent
by the real sender from a fresh, funded wallet. The next run shows the wallet's SOL as its
opening less the refunded lamports and both network fees (the token account's rent included)
to the lamport, and its USDT as the opening less the refunded units to the base unit, with no
difference. A top-up outside the gateway is a `refund_wallet` difference, an item of the
exceptions queue; acknowledged, it is the wallet's new opening and the next run shows none.
(BNB Chain: tests/admin/settlement/test_reconcile_refund_devnet.py.)"""

from __future__ import annotations

import asyncpg
import pytest
from solders.keypair import Keypair

from gateway.admin.audit import CLI_ACTOR
from gateway.admin.exceptions import service as exceptions
from gateway.admin.settlement import service
from gateway.admin.settlement.chain_balances import ChainSources, associated_token_address
from gateway.devnet.refund_wallets import fund_solana
from gateway.refunds.sending.sender import Sender
from gateway.refunds.sending.signers import SolanaHotSigner
from gateway.refunds.sending.wiring import networks
from settlement.reconciliation.service import Line, Run
from tests.plugins.devnet import Devnets
from tests.plugins.eventually import eventually
from tests.plugins.watchers import Isolated
from tests.refunds.sending.conftest import running_sender_task
from tests.refunds.sending.support import (
    insert_refund,
    lamports,
    new_wallets,
    refund_row,
    rpc,
    sender_settings,
    spl_units,
)

pytestmark = pytest.mark.slow

SOL_UNITS = 1_234_567
USDT_UNITS = 2_345_679
TOP_UP = 2 * 10**9


async def _finalized(url: str, wallet: str, usdt_account: str) -> tuple[int, int]:
    """The wallet's lamports and USDT units at `finalized` (what reconciliation reads)."""
    sol = int((await rpc(url, "getBalance", [wallet, {"commitment": "finalized"}]))["value"])
    try:
        usdt = await rpc(url, "getTokenAccountBalance",
                         [usdt_account, {"commitment": "finalized"}])
    except AssertionError:  # no token account (yet)
        return sol, 0
    return sol, int(usdt["value"]["amount"])


async def _settled_at(url: str, wallet: str, usdt_account: str) -> tuple[int, int]:
    """Wait until the finalized balances caught up with the confirmed ones."""
    async def caught_up() -> tuple[int, int] | None:
        final = await _finalized(url, wallet, usdt_account)
        confirmed = int((await rpc(url, "getBalance", [wallet, {"commitment": "confirmed"}])
                         )["value"])
        return final if final[0] == confirmed else None

    return await eventually(caught_up, what="the wallet's balance finalized", timeout=60)


def _wallet_lines(run: Run, *addresses: str) -> list[Line]:
    return [line for line in run.lines
            if line.kind == "refund_wallet" and line.address in addresses]


async def test_solana_refund_wallet_reconciles_to_the_lamport(
        isolated: Isolated, devnets: Devnets) -> None:
    url = devnets.solana_rpc_url
    assert url is not None
    mint = devnets.solana_mints["USDT"]
    merchant_id, _ = await isolated.client()
    wallets = new_wallets()
    wallet = str(wallets.solana.pubkey())
    usdt_account = associated_token_address(wallet, mint)
    settings = sender_settings(devnets, isolated.database_url, wallets)
    sources = ChainSources(bsc_rpc_url=None, bsc_tokens={}, solana_rpc_url=url,
                           solana_treasury=None, solana_mints={"solana:USDT": mint},
                           refund_wallets={"solana": wallet})

    async def reconcile() -> Run:
        async with isolated.pool.acquire() as conn:
            return await service.run_reconciliation(conn, CLI_ACTOR, isolated.app.settings,
                                                    sources)

    def notes(run: Run) -> str:
        return " ".join(n for n in run.notes if wallet in n or usdt_account in n)

    await fund_solana(url, wallet, {"USDT": mint})
    opening_sol, opening_usdt = await _settled_at(url, wallet, usdt_account)
    assert opening_usdt > USDT_UNITS
    first = await reconcile()
    assert f"solana:SOL {wallet}: opening {opening_sol} recorded" in notes(first), first.notes
    assert f"solana:USDT {usdt_account}: opening {opening_usdt} recorded" in notes(first)

    sol_to, usdt_to = str(Keypair().pubkey()), str(Keypair().pubkey())
    async with isolated.pool.acquire() as conn:
        sol_refund = await insert_refund(conn, merchant_id, asset="SOL", address=sol_to,
                                         stranded_units=SOL_UNITS)
        usdt_refund = await insert_refund(conn, merchant_id, asset="USDT_SOL",
                                          address=usdt_to, stranded_units=USDT_UNITS)
    chains = networks(settings)
    sender = Sender(isolated.pool, {"solana": chains["solana"]},
                    {"solana": SolanaHotSigner(wallets.solana)}, interval=0.1)
    try:
        async with running_sender_task(sender):
            async def both_succeeded() -> list[asyncpg.Record] | None:
                async with isolated.pool.acquire() as conn:
                    rows = [await refund_row(conn, r) for r in (sol_refund, usdt_refund)]
                assert all(r["status"] != "failed" for r in rows), rows
                return rows if all(r["status"] == "succeeded" for r in rows) else None

            rows = await eventually(both_succeeded, what="both refunds succeeded", timeout=90)
    finally:
        for network in chains.values():
            await network.close()
    fees = [int(r["network_fee_units"]) for r in rows]
    assert fees[0] == 5_000  # one signature
    assert fees[1] > 2_000_000  # one signature and the rent of the shopper's token account
    assert await lamports(devnets, sol_to) == SOL_UNITS
    assert await spl_units(devnets, usdt_to, mint) == USDT_UNITS

    sol_now, usdt_now = await _settled_at(url, wallet, usdt_account)
    assert sol_now == opening_sol - SOL_UNITS - sum(fees)  # to the lamport
    assert usdt_now == opening_usdt - USDT_UNITS
    second = await reconcile()
    assert _wallet_lines(second, wallet, usdt_account) == [], second.lines
    shown = notes(second)
    assert (f"refund wallet solana solana:SOL {wallet}: chain {sol_now}, opening {opening_sol}"
            in shown), shown
    assert f"- refunds {SOL_UNITS} - fees {sum(fees)} = {sol_now}" in shown, shown
    assert (f"refund wallet solana solana:USDT {usdt_account}: chain {usdt_now}, "
            f"opening {opening_usdt}") in shown
    assert f"- refunds {USDT_UNITS} - fees 0 = {usdt_now}" in shown, shown

    # A top-up outside the gateway: a refund_wallet difference, in the queue.
    await rpc(url, "requestAirdrop", [wallet, TOP_UP])
    topped, _ = await eventually(
        lambda: _topped_up(url, wallet, usdt_account, sol_now + TOP_UP),
        what="the top-up finalized", timeout=60)
    third = await reconcile()
    [line] = _wallet_lines(third, wallet)
    assert (line.asset, line.ledger_amount, line.chain_amount, line.difference) == (
        "solana:SOL", sol_now, sol_now + TOP_UP, TOP_UP)
    async with isolated.pool.acquire() as conn:
        page = await exceptions.page(conn, (), exceptions.Filters(kind="reconciliation"),
                                     None, 50)
        [item] = [i for i in page.items if i.asset == "solana:SOL" and i.units == TOP_UP]
        assert item.actions == ("acknowledge",)
        await exceptions.decide(conn, CLI_ACTOR, item.key, "acknowledge",
                                "funded the Solana refund wallet")
    fourth = await reconcile()
    assert _wallet_lines(fourth, wallet, usdt_account) == [], fourth.lines
    assert (f"chain {topped}, opening {topped}" in notes(fourth)), notes(fourth)


async def _topped_up(url: str, wallet: str, usdt_account: str,
                     expected: int) -> tuple[int, int] | None:
    found = await _finalized(url, wallet, usdt_account)
    return found if found[0] == expected else None
