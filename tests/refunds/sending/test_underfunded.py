"""A hot wallet that cannot pay a refund (the native coin for the fee and value, or the
token) on the real devnets: the refund stays `sending` with `pending_reason`
insufficient_funds (the API object), nothing is signed or booked, the sender checks again with
backoff (a handful of checks, not one per pass) and says so once in the log; once the wallet
is funded the refund goes out as one transaction. With REFUND_UNDERFUNDED_FAIL_AFTER it fails
instead (refund.failed, nothing booked, its money refundable again)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg
import structlog
from solders.keypair import Keypair

from gateway.admin import auth
from gateway.chains.rpc import RetryPolicy
from gateway.devnet import bsc as devnet_bsc
from gateway.devnet.bsc_wallet import pay_uri
from gateway.devnet.refund_wallets import BSC_TOKEN_WALLET, fund_bsc, fund_solana
from gateway.refunds import queries
from gateway.refunds.models import Refund, refund_object
from gateway.refunds.states import LIVE
from tests.admin.test_console_http import client as console_client
from tests.admin.test_console_http import make_user, sign_in
from tests.plugins.app import RunningApp
from tests.plugins.devnet import Devnets, fresh_bsc_address
from tests.plugins.eventually import eventually
from tests.refunds.sending.conftest import running_sender
from tests.refunds.sending.support import (
    bep20_balance,
    bnb_balance,
    bsc_nonce,
    insert_refund,
    new_wallets,
    refund_row,
    rpc,
    sender_settings,
    signatures_of,
    spl_units,
)

# Checks after 0.1, 0.2, 0.4, 0.8, 1, 1, ... seconds (+-20 %).
RECHECK = RetryPolicy(base_delay=0.1, max_delay=1.0)


async def _row_where(pool: asyncpg.Pool, refund_id: str,
                     check: Callable[[asyncpg.Record], bool], what: str) -> asyncpg.Record:
    async def found() -> asyncpg.Record | None:
        async with pool.acquire() as conn:
            row = await refund_row(conn, refund_id)
        return row if check(row) else None

    return await eventually(found, what=what, timeout=60)


async def _transactions(pool: asyncpg.Pool, refund_id: str) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return list(await conn.fetch(
            "SELECT tx_hash, status FROM refund_transactions WHERE refund_id = $1 ORDER BY id",
            refund_id))


async def _journal_keys(pool: asyncpg.Pool, refund_id: str) -> list[str]:
    async with pool.acquire() as conn:
        return [r["idempotency_key"] for r in await conn.fetch(
            "SELECT idempotency_key FROM journal_entries WHERE idempotency_key LIKE $1",
            f"refund:{refund_id}:%")]


def _events(logs: list[dict[str, Any]], name: str, refund_id: str) -> list[dict[str, Any]]:
    return [e for e in logs if e["event"] == name and e.get("refund") == refund_id]


async def _waits_for_funds(pool: asyncpg.Pool, refund_id: str, asset: str) -> asyncpg.Record:
    row = await _row_where(pool, refund_id, lambda r: r["pending_reason"] is not None,
                           f"{refund_id} waiting for funds")
    shown = refund_object(Refund.from_row(row), None)
    assert (shown["status"], shown["pending_reason"]) == ("sending", "insufficient_funds")
    assert f"base units of {asset}" in row["pending_detail"], row["pending_detail"]
    await asyncio.sleep(2)  # passes every 0.1 s; checks with backoff
    async with pool.acquire() as conn:
        later = await refund_row(conn, refund_id)
    assert (later["status"], later["pending_since"]) == ("sending", row["pending_since"])
    assert 2 <= later["pending_checks"] <= 8, later["pending_checks"]
    assert await _transactions(pool, refund_id) == []  # nothing signed
    assert await _journal_keys(pool, refund_id) == []  # nothing booked
    return later


async def _operator_sees_it(app: RunningApp, pool: asyncpg.Pool, refund_id: str) -> None:
    """The console's Refunds page and the refund's page say why; /metrics counts it."""
    async with console_client() as http:
        await sign_in(http, app.url, await make_user(pool, auth.Role.OPERATOR))
        async with http.get(f"{app.url}/admin/refunds?status=sending") as listed:
            queue = await listed.text()
        async with http.get(f"{app.url}/admin/refunds/{refund_id}") as page:
            detail = await page.text()

        async def counted() -> bool:  # a scrape is cached for a few seconds
            async with http.get(f"{app.url}/metrics") as metrics:
                scraped = await metrics.text()
            [waiting] = [line for line in scraped.splitlines()
                         if line.startswith('ccp_refunds_waiting_for_funds{chain="bsc"}')]
            return float(waiting.split()[-1]) >= 1  # float-ok: the exposition format's

        await eventually(counted, what="the metric counting it", timeout=20)
    row = queue[queue.index(f'data-refund="{refund_id}"'):]
    assert "waiting: insufficient_funds" in row[:row.index("</tr>")]
    assert "insufficient_funds since" in detail
    assert "the refund wallet holds 0 base units of BNB, needs" in detail


async def test_a_bnb_refund_waits_for_an_empty_wallet_then_goes_out_once(
        db_pool: asyncpg.Pool, devnets: Devnets, database_url: str, app_server: RunningApp,
        merchant: Callable[[], Awaitable[str]]) -> None:
    wallets = new_wallets()  # nothing funded
    settings = sender_settings(devnets, database_url, wallets)
    address, units = fresh_bsc_address(), 12_000_000_000_000_003
    async with db_pool.acquire() as conn:
        refund_id = await insert_refund(conn, await merchant(), asset="BNB", address=address,
                                        stranded_units=units)
    with structlog.testing.capture_logs() as logs:
        async with running_sender(db_pool, settings, funds_recheck=RECHECK):
            await _waits_for_funds(db_pool, refund_id, "BNB")
            await _operator_sees_it(app_server, db_pool, refund_id)
            await fund_bsc(devnets.bsc_rpc_url, wallets.bsc.address)
            row = await _row_where(db_pool, refund_id, lambda r: r["status"] == "succeeded",
                                   f"{refund_id} succeeded")
    assert row["pending_reason"] is None and row["pending_detail"] is None
    assert len(_events(logs, "refund_wallet_underfunded", refund_id)) == 1
    assert len(_events(logs, "refund_wallet_funded", refund_id)) == 1
    assert await bnb_balance(devnets, address) == units
    assert await bsc_nonce(devnets, wallets.bsc.address) == 1  # one transaction, ever
    assert [t["status"] for t in await _transactions(db_pool, refund_id)] == ["final"]


async def test_an_spl_refund_waits_for_the_token_then_goes_out_once(
        db_pool: asyncpg.Pool, devnets: Devnets, database_url: str,
        merchant: Callable[[], Awaitable[str]]) -> None:
    assert devnets.solana_rpc_url is not None
    wallets = new_wallets()
    payer = str(wallets.solana.pubkey())
    await rpc(devnets.solana_rpc_url, "requestAirdrop", [payer, 10**9])  # SOL, no USDT
    await asyncio.sleep(0.5)
    settings = sender_settings(devnets, database_url, wallets)
    recipient, units = str(Keypair().pubkey()), 2_500_001
    async with db_pool.acquire() as conn:
        refund_id = await insert_refund(conn, await merchant(), asset="USDT_SOL",
                                        address=recipient, stranded_units=units)
    with structlog.testing.capture_logs() as logs:
        async with running_sender(db_pool, settings, funds_recheck=RECHECK):
            await _waits_for_funds(db_pool, refund_id, "USDT_SOL")
            await fund_solana(devnets.solana_rpc_url, payer, devnets.solana_mints)
            row = await _row_where(db_pool, refund_id, lambda r: r["status"] == "succeeded",
                                   f"{refund_id} succeeded")
    assert len(_events(logs, "refund_wallet_underfunded", refund_id)) == 1
    assert await spl_units(devnets, recipient, devnets.solana_mints["USDT"]) == units
    assert [(t["tx_hash"], t["status"]) for t in await _transactions(db_pool, refund_id)] == [
        (row["tx_hash"], "final")]
    assert await signatures_of(devnets, recipient) == [row["tx_hash"]]


async def test_an_underfunded_refund_fails_after_the_configured_time(
        db_pool: asyncpg.Pool, devnets: Devnets, database_url: str,
        merchant: Callable[[], Awaitable[str]]) -> None:
    wallets = new_wallets()
    settings = sender_settings(devnets, database_url, wallets)
    recipient = str(Keypair().pubkey())
    async with db_pool.acquire() as conn:
        refund_id = await insert_refund(conn, await merchant(), asset="SOL",
                                        address=recipient, stranded_units=3_000_000)
    async with running_sender(db_pool, settings, funds_recheck=RECHECK,
                              fail_underfunded_after=timedelta(seconds=1)):
        row = await _row_where(db_pool, refund_id, lambda r: r["status"] == "failed",
                               f"{refund_id} failed")
    assert row["failure_reason"].startswith("insufficient_funds: the refund wallet holds 0 "
                                            "base units of SOL"), row["failure_reason"]
    assert row["pending_reason"] is None
    assert await _transactions(db_pool, refund_id) == []
    assert await _journal_keys(db_pool, refund_id) == []  # nothing was booked to reverse
    async with db_pool.acquire() as conn:
        types = [r["type"] for r in await conn.fetch(
            "SELECT type FROM events WHERE data->>'id' = $1", refund_id)]
        # Its units are free again (stranded, refundable): no live refund holds them.
        held = await queries.held_units(conn, row["invoice_id"], [str(s) for s in LIVE])
    assert types == ["refund.failed"]
    assert held == []


async def test_a_bep20_refund_waits_for_bnb_to_pay_its_fee(
        db_pool: asyncpg.Pool, devnets: Devnets, database_url: str,
        merchant: Callable[[], Awaitable[str]]) -> None:
    """The wallet holds the token but no BNB for the fee: insufficient_funds on BNB."""
    wallets = new_wallets()
    units = 3 * 10**18
    await pay_uri(f"ethereum:{devnet_bsc.USDT_ADDRESS}@56/transfer?address="
                  f"{wallets.bsc.address}&uint256={units}", rpc_url=devnets.bsc_rpc_url,
                  wallet=BSC_TOKEN_WALLET)
    settings = sender_settings(devnets, database_url, wallets)
    address = fresh_bsc_address()
    async with db_pool.acquire() as conn:
        refund_id = await insert_refund(conn, await merchant(), asset="USDT_BSC",
                                        address=address, stranded_units=units)
    async with running_sender(db_pool, settings, funds_recheck=RECHECK):
        await _waits_for_funds(db_pool, refund_id, "BNB")
        await rpc(devnets.bsc_rpc_url, "anvil_setBalance", [wallets.bsc.address, hex(10**18)])
        await _row_where(db_pool, refund_id, lambda r: r["status"] == "succeeded",
                         f"{refund_id} succeeded")
    assert await bep20_balance(devnets, devnet_bsc.USDT_ADDRESS, address) == units
    assert await bsc_nonce(devnets, wallets.bsc.address) == 1
