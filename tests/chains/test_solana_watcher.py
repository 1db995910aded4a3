"""The Solana watcher end to end: invoices created over the API, paid with real signed
transactions by the Solana Pay simulator on the devnet, seen `confirmed` (processing) and
`finalized` (settled, booked), announced by webhooks, and booked exactly once.

Fixed rates (gateway.rate_rules.DEFAULT_FIXED_RATES): SOL 75 000 KZT, USDT and USDC 500 KZT,
KZTE 1 KZT; the merchant's fee is the default 100 bps. Amounts below are worked by hand.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from gateway.chains.solana_follow import cursor_name
from gateway.chains.solana_match import associated_token_account
from gateway.chains.solana_rpc import CONFIRMED, SolanaRpc
from gateway.chains.solana_setup import SolanaRunning, resolve_treasury
from gateway.devnet.solana.wallet import pay_uri
from gateway.errors import ConfigError
from gateway.invoices.catalog import build_catalog
from gateway.lifecycle.service import LifecycleConfig
from gateway.payments.references import new_reference
from tests.chains.solana_support import (
    FAULTS,
    FaultyProxy,
    KnowsNothing,
    WatcherTask,
    WebhookReceiver,
    event_types,
    invoice_status,
    solana_settings,
    transfers_of,
    wait_status,
)
from tests.plugins.app import ApiClient, RunningApp, running_app
from tests.plugins.devnet import Devnets
from tests.plugins.eventually import eventually
from tests.plugins.watchers import (
    create_invoice,
    entry_count,
    expected_postings,
    settlement_postings,
)

pytestmark = pytest.mark.skipif("not __import__('gateway.devnet.orchestrator', "
                                "fromlist=['x']).solana_available()",
                                reason="the Solana devnet (solders.litesvm) is not installed")


@pytest.fixture(scope="module")
async def solana_app(devnets: Devnets, database_url: str,
                     tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    settings = solana_settings(devnets, database_url, tmp_path_factory.mktemp("solana-app"))
    async with running_app(settings) as server:
        yield server


@pytest.fixture(scope="module")
async def watcher(solana_app: RunningApp, db_pool: asyncpg.Pool) -> AsyncIterator[WatcherTask]:
    task = WatcherTask(db_pool)
    task.start(solana_app.settings)
    yield task
    await task.stop()


@pytest.fixture
async def shop(solana_app: RunningApp, make_api_key: Callable[..., Any],
               make_merchant: Callable[..., Any],
               api_client: Callable[..., ApiClient]) -> tuple[str, ApiClient]:
    merchant_id = await make_merchant()
    return merchant_id, api_client(await make_api_key(merchant_id), solana_app)


# (asset id, ledger currency, invoice tiyn, base units, mint key in devnets.solana_mints)
CASES = [
    ("SOL", "solana:SOL", 750_000, 100_000_000, None),          # 7 500 KZT = 0.1 SOL
    ("USDT_SOL", "solana:USDT", 500_000, 10_000_000, "USDT"),   # 5 000 KZT = 10 USDT
    ("USDC_SOL", "solana:USDC", 250_000, 5_000_000, "USDC"),    # 2 500 KZT = 5 USDC
    ("KZTE", "solana:KZTE", 123_400, 123_400, "KZTE"),          # 1 234 KZT = 1 234.00 KZTE
]


@pytest.mark.parametrize(("asset", "currency", "tiyn", "units", "mint"), CASES)
async def test_pay_each_asset(asset: str, currency: str, tiyn: int, units: int,
                              mint: str | None, shop: tuple[str, ApiClient],
                              watcher: WatcherTask, devnets: Devnets,
                              db_pool: asyncpg.Pool) -> None:
    merchant_id, client = shop
    receiver = WebhookReceiver()
    async with receiver.serving():
        hook = await client.post("/v1/webhook_endpoints", {"url": receiver.url,
                                                           "enabled_events": ["*"]})
        assert hook.status == 200, hook.body
        receiver.secret = hook.body["secret"]
        invoice = await create_invoice(client, tiyn, [asset])
        [option] = invoice["payment_options"]
        assert int(option["amount_units"]) == units
        assert option["recipient"] == devnets.solana_treasury
        if mint is not None:
            assert option["token"] == devnets.solana_mints[mint]
        [signature] = await pay_uri(option["uri"], rpc_url=devnets.solana_rpc_url or "")
        settled = await wait_status(client, invoice["id"], "settled")
        await eventually(lambda: _delivered(receiver, invoice["id"]), what="webhooks", timeout=20)
    assert settled["amount_paid"] == tiyn and settled["exception"] is None
    assert await event_types(client, invoice["id"]) == [
        "invoice.created", "invoice.processing", "invoice.settled"]
    assert receiver.types_for(invoice["id"])[-2:] == ["invoice.processing", "invoice.settled"]
    fee = tiyn // 100  # 100 bps, exact for these amounts
    assert await settlement_postings(db_pool, invoice["id"]) == expected_postings(
        merchant_id, currency, units, tiyn, fee)
    [row] = await transfers_of(db_pool, [signature])
    assert (row["asset"], int(row["amount"]), row["invoice_id"]) == (asset, units, invoice["id"])
    assert (row["status"], row["disposition"], row["value_tiyn"]) == ("finalized", "credited",
                                                                     tiyn)
    assert row["to_address"] == devnets.solana_treasury
    assert row["log_index"] == _transfer_instruction(option["uri"])
    assert row["from_address"] == devnets.solana_wallets[0]


def _transfer_instruction(uri: str) -> int:
    """The simulator sends [memo,] transfer: the transfer is instruction 1 after a memo."""
    return 1 if "memo=" in uri else 0


async def _delivered(receiver: WebhookReceiver, invoice_id: str) -> bool:
    return "invoice.settled" in receiver.types_for(invoice_id)


async def test_payment_without_reference_is_kept_unmatched(
        shop: tuple[str, ApiClient], watcher: WatcherTask, devnets: Devnets,
        db_pool: asyncpg.Pool) -> None:
    _, client = shop
    invoice = await create_invoice(client, 50_000, ["USDC_SOL"])  # 1 USDC
    [signature] = await pay_uri(invoice["payment_options"][0]["uri"],
                                rpc_url=devnets.solana_rpc_url or "", drop_reference=True)

    async def unmatched() -> list[asyncpg.Record]:
        return list(await db_pool.fetch(
            "SELECT * FROM unmatched_payments WHERE tx_hash = $1 AND status = 'finalized'",
            signature))

    [row] = await eventually(unmatched, what="the unmatched payment", timeout=20)
    assert (row["asset"], int(row["amount"]), row["invoice_id"]) == ("USDC_SOL", 1_000_000, None)
    assert row["disposition"] == "unmatched" and row["from_address"] == devnets.solana_wallets[0]
    body = (await client.get(f"/v1/invoices/{invoice['id']}")).body
    assert (body["status"], body["amount_paid"]) == ("new", 0)


async def test_split_payment_settles_once_paid_in_full(
        shop: tuple[str, ApiClient], watcher: WatcherTask, devnets: Devnets,
        db_pool: asyncpg.Pool) -> None:
    merchant_id, client = shop
    invoice = await create_invoice(client, 300_000, ["SOL"])  # 3 000 KZT = 0.04 SOL
    signatures = await pay_uri(invoice["payment_options"][0]["uri"],
                               rpc_url=devnets.solana_rpc_url or "", split=3, wallet=1)
    assert len(set(signatures)) == 3
    settled = await wait_status(client, invoice["id"], "settled")
    # The lifecycle values each transfer on its own, rounding down (gateway.lifecycle.rules):
    # 13 333 334 lamports are 100 000 tiyn, 13 333 333 are 99 999.9975 -> 99 999.
    paid = settled["amount_paid"]
    assert paid == 300_000 and settled["exception"] is None  # valued as one payment
    rows = await transfers_of(db_pool, signatures)
    # 40 000 000 lamports in three parts, the remainder on the first.
    assert sorted(int(r["amount"]) for r in rows) == [13_333_333, 13_333_333, 13_333_334]
    assert {r["invoice_id"] for r in rows} == {invoice["id"]}
    assert {r["status"] for r in rows} == {"finalized"}
    types = await event_types(client, invoice["id"])
    assert types[0] == "invoice.created" and types[-2:] == ["invoice.processing",
                                                            "invoice.settled"]
    assert await settlement_postings(db_pool, invoice["id"]) == expected_postings(
        merchant_id, "solana:SOL", 40_000_000, paid, 3_000)  # 1 % of 2 999.98 KZT, half up


async def test_restart_resumes_from_cursor_and_books_once(
        shop: tuple[str, ApiClient], watcher: WatcherTask, devnets: Devnets,
        db_pool: asyncpg.Pool, solana_app: RunningApp) -> None:
    _, client = shop
    rpc_url = devnets.solana_rpc_url or ""
    first, _ = await _pay_usdt(client, rpc_url)
    await wait_status(client, first, "settled")
    ata = associated_token_account(devnets.solana_treasury or "", devnets.solana_mints["USDT"])
    await watcher.stop()
    cursor = await _cursor(db_pool, ata)
    # Paid while no watcher runs: found after the restart from the stored cursor.
    second, signature = await _pay_usdt(client, rpc_url)
    watcher.start(solana_app.settings)
    await wait_status(client, second, "settled")
    moved = await _cursor(db_pool, ata)
    assert moved["block_number"] > cursor["block_number"] and moved["position"] == signature
    # Restart again and pay once more: the restarted watcher re-reads only from its cursors.
    await watcher.stop()
    watcher.start(solana_app.settings)
    third, _ = await _pay_usdt(client, rpc_url)
    await wait_status(client, third, "settled")
    for invoice_id in (first, second, third):
        assert await entry_count(db_pool, invoice_id) == 1
        assert (await event_types(client, invoice_id)).count("invoice.settled") == 1
    [row] = await transfers_of(db_pool, [signature])
    assert (int(row["amount"]), row["status"], row["invoice_id"]) == (1_000_000, "finalized",
                                                                      second)


async def _pay_usdt(client: ApiClient, rpc_url: str) -> tuple[str, str]:
    invoice = await create_invoice(client, 50_000, ["USDT_SOL"])  # 500 KZT = 1 USDT
    [signature] = await pay_uri(invoice["payment_options"][0]["uri"], rpc_url=rpc_url,
                                wallet=2)
    return invoice["id"], signature


async def _cursor(pool: asyncpg.Pool, address: str) -> asyncpg.Record:
    row = await pool.fetchrow("SELECT * FROM chain_cursors WHERE chain = $1",
                              cursor_name(address, CONFIRMED))
    assert row is not None
    return row


async def test_rpc_faults_only_delay_detection(
        shop: tuple[str, ApiClient], watcher: WatcherTask, devnets: Devnets,
        db_pool: asyncpg.Pool, solana_app: RunningApp) -> None:
    merchant_id, client = shop
    rpc_url = devnets.solana_rpc_url or ""
    await watcher.stop()
    async with FaultyProxy(rpc_url, every=4, stall=0.6).serving() as proxy:
        faulty = replace(solana_app.settings, solana_rpc_url=proxy.url,
                         chains=replace(solana_app.settings.chains, rpc_timeout=Decimal("0.3")))
        watcher.start(faulty)
        try:
            invoice = await create_invoice(client, 50_000, ["KZTE"])  # 500 KZTE
            [signature] = await pay_uri(invoice["payment_options"][0]["uri"], rpc_url=rpc_url,
                                        wallet=3)
            await wait_status(client, invoice["id"], "settled", timeout=40)
            await eventually(lambda: _all_faults(proxy), what="every kind of fault", timeout=20)
        finally:
            await watcher.stop()
            watcher.start(solana_app.settings)
    assert set(proxy.injected) == set(FAULTS)
    [row] = await transfers_of(db_pool, [signature])
    assert (int(row["amount"]), row["status"]) == (50_000, "finalized")
    assert await entry_count(db_pool, invoice["id"]) == 1
    assert await settlement_postings(db_pool, invoice["id"]) == expected_postings(
        merchant_id, "solana:KZTE", 50_000, 50_000, 500)


async def _all_faults(proxy: FaultyProxy) -> bool:
    return set(proxy.injected) == set(FAULTS)


async def test_reference_unknown_to_the_watched_set_is_found_in_postgres(
        shop: tuple[str, ApiClient], watcher: WatcherTask, devnets: Devnets,
        db_pool: asyncpg.Pool, solana_app: RunningApp) -> None:
    _, client = shop
    await watcher.stop()
    running = SolanaRunning(solana_app.settings, db_pool, KnowsNothing(),
                            LifecycleConfig(public_url=solana_app.url))
    try:
        lonely = await running.watcher()
        invoice = await create_invoice(client, 100_000, ["USDC_SOL"])  # 2 USDC
        [signature] = await pay_uri(invoice["payment_options"][0]["uri"],
                                    rpc_url=devnets.solana_rpc_url or "", wallet=3)

        async def settled() -> bool:
            await lonely.tick()
            return bool((await invoice_status(client, invoice["id"]))["status"] == "settled")

        await eventually(settled, what="settlement through the PostgreSQL fallback", timeout=20)
    finally:
        await running.close()
        watcher.start(solana_app.settings)
    [row] = await transfers_of(db_pool, [signature])
    assert (row["invoice_id"], row["disposition"]) == (invoice["id"], "credited")


async def test_wrong_asset_with_the_reference_is_kept_for_refund(
        shop: tuple[str, ApiClient], watcher: WatcherTask, devnets: Devnets,
        db_pool: asyncpg.Pool) -> None:
    _, client = shop
    invoice = await create_invoice(client, 50_000, ["USDT_SOL"])  # asks for 1 USDT
    uri = invoice["payment_options"][0]["uri"]
    # The shopper's wallet drops spl-token and sends 1 SOL with the invoice's reference.
    sol_uri = re.sub(r"spl-token=[^&]+&?", "", uri)
    [signature] = await pay_uri(sol_uri, rpc_url=devnets.solana_rpc_url or "", wallet=1)

    async def kept() -> list[asyncpg.Record]:
        return list(await db_pool.fetch(
            "SELECT * FROM unmatched_payments WHERE tx_hash = $1 AND status = 'finalized'",
            signature))

    [row] = await eventually(kept, what="the wrong-asset payment", timeout=20)
    assert (row["asset"], int(row["amount"])) == ("SOL", 1_000_000_000)
    assert (row["invoice_id"], row["disposition"]) == (invoice["id"], "wrong_asset")
    assert (await invoice_status(client, invoice["id"]))["amount_paid"] == 0


async def test_mints_are_checked_against_the_cluster(solana_app: RunningApp,
                                                     devnets: Devnets) -> None:
    rpc = SolanaRpc(devnets.solana_rpc_url or "")
    try:
        catalog = build_catalog(solana_app.settings)
        treasury = await resolve_treasury(rpc, catalog)
        owner = devnets.solana_treasury or ""
        assert {a.asset: a.address for a in treasury.accounts} == {
            "SOL": owner,
            **{asset: associated_token_account(owner, devnets.solana_mints[symbol])
               for asset, symbol in (("USDT_SOL", "USDT"), ("USDC_SOL", "USDC"),
                                     ("KZTE", "KZTE"))},
        }
        for account in treasury.accounts[1:]:  # the devnet treasury holds each ATA already
            assert await rpc.get_parsed_account(account.address) is not None
        kzte = catalog.assets["KZTE"]
        wrong_decimals = replace(catalog, assets={"KZTE": replace(kzte, decimals=6)})
        with pytest.raises(ConfigError, match=r"SOLANA_KZTE_MINT: .* has 2 decimals"):
            await resolve_treasury(rpc, wrong_decimals)
        missing = replace(catalog, assets={"KZTE": replace(kzte, token=new_reference())})
        with pytest.raises(ConfigError, match=r"SOLANA_KZTE_MINT: .* does not exist"):
            await resolve_treasury(rpc, missing)
    finally:
        await rpc.close()
