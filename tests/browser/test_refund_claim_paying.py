"""End to end on the local devnets: a partial-then-expired payment refunded through the claim
page in Chromium, on each chain.

The gateway runs as in `make run`: watchers, the expiry sweeper and the refund sender (hot
wallet, funded on the devnets) inside the app, REFUND_AUTO_APPROVE_MAX above the refund. The
shopper pays half of the quote from a devnet wallet; the invoice's expiry is brought forward
to now (instead of waiting its minute out) and the sweeper expires it; the merchant creates a
refund over the API without an address; the shopper opens its claim_url on a phone, gives a
fresh address and watches the page until the refund succeeds. The address then holds
exactly the refund's `amount_units`: the units that arrived, in the asset that arrived.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from playwright.async_api import Page, expect
from solders.keypair import Keypair

from gateway.config import RefundSendingSettings, SettlementSettings
from gateway.devnet.bsc_wallet import pay_uri as pay_bsc
from gateway.devnet.solana.wallet import pay_uri as pay_solana
from gateway.payments.amounts import format_units
from settlement.assets import ASSETS
from tests.browser.support import create_invoice
from tests.browser.test_checkout_paying import FAST_CHAINS
from tests.plugins.app import ApiClient, RunningApp, running_app, settings_for_tests
from tests.plugins.browser import watch_errors
from tests.plugins.devnet import Devnets, fresh_bsc_address
from tests.plugins.eventually import eventually
from tests.refunds.sending.conftest import refund_wallets  # noqa: F401
from tests.refunds.sending.support import Wallets, bnb_balance, spl_units

KeyFactory = Callable[..., Awaitable[str]]
SUCCEEDED_TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
async def refunding_app(devnets: Devnets, database_url: str, refund_wallets: Wallets,  # noqa: F811
                        tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    assert devnets.solana_rpc_url is not None and devnets.solana_treasury is not None
    sending = RefundSendingSettings(
        sender=True, signer="hot", bsc_key=refund_wallets.bsc_key,
        solana_key=refund_wallets.solana_key, interval=Decimal("0.1"))
    settings = settings_for_tests(
        database_url, tmp_path_factory.mktemp("refund-claim-paying"),
        bsc_rpc_url=devnets.bsc_rpc_url, solana_rpc_url=devnets.solana_rpc_url,
        solana_treasury=devnets.solana_treasury,
        solana_usdt_mint=devnets.solana_mints["USDT"],
        solana_usdc_mint=devnets.solana_mints["USDC"],
        solana_kzte_mint=devnets.solana_mints["KZTE"], chains=FAST_CHAINS,
        refund_sending=sending,
        settlement=dataclasses.replace(SettlementSettings(),
                                       refund_auto_approve_max=100_000_000))
    async with running_app(settings) as app:
        yield app


@pytest.fixture
async def shop(refunding_app: RunningApp, api_client: Callable[..., ApiClient],
               make_api_key: KeyFactory, make_merchant: KeyFactory) -> ApiClient:
    return api_client(await make_api_key(await make_merchant(name="Refund Corner")),
                      server=refunding_app)


async def pay_half(devnets: Devnets, option: dict[str, Any]) -> int:
    """Half of the quote from a devnet wallet; the units sent."""
    asset = ASSETS[option["asset_id"]]
    units = int(option["amount_units"]) // 2
    amount = Decimal(format_units(units, asset.decimals))
    if asset.chain == "bsc":
        await pay_bsc(option["uri"], rpc_url=devnets.bsc_rpc_url, amount=amount, wallet=2)
    else:
        assert devnets.solana_rpc_url is not None
        await pay_solana(option["uri"], rpc_url=devnets.solana_rpc_url, amount=amount,
                         wallet=1)
    return units


async def expired_with_money(shop: ApiClient, pool: asyncpg.Pool,
                             invoice_id: str) -> dict[str, Any]:
    async def partly_paid() -> bool:
        return bool((await shop.get(f"/v1/invoices/{invoice_id}")).body["amount_paid"])

    await eventually(partly_paid, what=f"{invoice_id} partly paid", timeout=30)
    async with pool.acquire() as conn:  # time travel: the quote's minute is over
        await conn.execute("UPDATE invoices SET expires_at = now() WHERE id = $1", invoice_id)

    async def refundable() -> dict[str, Any] | None:
        body: dict[str, Any] = (await shop.get(f"/v1/invoices/{invoice_id}")).body
        final = all(p["status"] == "final" for p in body["payments"])
        return body if body["status"] == "expired" and final and body[
            "amount_refundable"] > 0 else None

    return await eventually(refundable, what=f"{invoice_id} expired and refundable",
                            timeout=30)


async def balance(devnets: Devnets, asset_id: str, address: str) -> int:
    if asset_id == "BNB":
        return await bnb_balance(devnets, address)
    return await spl_units(devnets, address, devnets.solana_mints[ASSETS[asset_id].symbol])


@pytest.mark.parametrize(("asset_id", "lang", "done"), [
    ("BNB", "ru", "Возврат получен. Спасибо!"),
    ("USDT_SOL", "kk", "Қайтарым алынды. Рақмет!"),
])
async def test_partial_then_expired_payment_refunded_through_the_claim_page(
        shop: ApiClient, refunding_app: RunningApp, db_pool: asyncpg.Pool, devnets: Devnets,
        phone_page: Page, asset_id: str, lang: str, done: str) -> None:
    invoice = await create_invoice(shop, amount=150_000, assets=[asset_id])
    sent = await pay_half(devnets, invoice["payment_options"][0])
    expired = await expired_with_money(shop, db_pool, invoice["id"])

    created = await shop.post(f"/v1/invoices/{invoice['id']}/refunds", {"reason": "expired"},
                              idempotency_key=f"refund-{invoice['id']}")
    assert created.status == 200, created.body
    refund = created.body
    assert (refund["status"], refund["asset_id"], refund["amount_units"]) == (
        "awaiting_address", asset_id, str(sent))
    assert refund["amount"] == expired["amount_refundable"]

    address = fresh_bsc_address() if asset_id == "BNB" else str(Keypair().pubkey())
    page = phone_page
    errors = watch_errors(page)
    await page.goto(f"{refund['claim_url']}?lang={lang}")
    symbol = ASSETS[asset_id].symbol
    await expect(page.locator("#amount-units")).to_contain_text(
        f"{format_units(sent, ASSETS[asset_id].decimals)} {symbol}")
    await page.fill("#address", address)
    await page.locator("button[type=submit]").click()
    await expect(page.locator("#status-text")).to_have_text(done, timeout=SUCCEEDED_TIMEOUT_MS)
    tx = await page.locator("#refund-tx").inner_text()
    assert errors.messages == []

    final = (await shop.get(f"/v1/refunds/{refund['id']}")).body
    assert (final["status"], final["tx"], final["address"]) == ("succeeded", tx, address)
    assert await balance(devnets, asset_id, address) == sent
