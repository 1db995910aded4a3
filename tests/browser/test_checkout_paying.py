"""End to end: a shopper pays from the checkout page on the local devnets.

The gateway runs as in `make run` (watchers and the expiry sweeper inside the app, on the
session's devnets). The shopper's wallet is the devnet simulator, and it pays what the camera
reads: the URI decoded from a screenshot of the page's QR code. The page follows the live
stream from waiting to partial (a new QR for the remainder) to paid, then returns the shopper
to the shop's redirect_url, all without a reload.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Page, expect

from gateway.checkout.remainder import remaining_units, uri_for_units
from gateway.config import ChainSettings, CheckoutSettings
from gateway.devnet.bsc_wallet import pay_uri as pay_bsc
from gateway.devnet.solana.wallet import pay_uri as pay_solana
from tests.browser.support import create_invoice
from tests.browser.test_checkout_page import decode_qr, option_row
from tests.plugins.app import ApiClient, RunningApp, running_app, settings_for_tests
from tests.plugins.browser import watch_errors
from tests.plugins.devnet import Devnets

KeyFactory = Callable[..., Awaitable[str]]
# Fast enough that a payment shows on the page within a second or two on the 0.2 s devnet.
FAST_CHAINS = ChainSettings(
    watchers=True, watch_chains=("bsc", "solana"), rpc_timeout=Decimal(3), rpc_retries=2,
    backoff=Decimal("0.05"), backoff_cap=Decimal("0.5"), leader_poll=Decimal("0.1"),
    watched_reload_s=30, sweep_interval=Decimal("0.25"), bsc_poll_interval=Decimal("0.05"),
    bsc_confirmations=2, solana_poll_interval=Decimal("0.05"),
)
PAID_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
async def paying_app(devnets: Devnets, database_url: str,
                     tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    if devnets.solana_rpc_url is None or devnets.solana_treasury is None:
        pytest.fail("the Solana devnet did not start (see docs/devnets.md)")
    settings = settings_for_tests(
        database_url, tmp_path_factory.mktemp("checkout-paying"),
        bsc_rpc_url=devnets.bsc_rpc_url, solana_rpc_url=devnets.solana_rpc_url,
        solana_treasury=devnets.solana_treasury,
        solana_usdt_mint=devnets.solana_mints["USDT"],
        solana_usdc_mint=devnets.solana_mints["USDC"],
        solana_kzte_mint=devnets.solana_mints["KZTE"],
        checkout=CheckoutSettings(redirect_delay=1), chains=FAST_CHAINS,
    )
    async with running_app(settings) as app:
        yield app


@pytest.fixture
async def shop(paying_app: RunningApp, api_client: Callable[..., ApiClient],
               make_api_key: KeyFactory, make_merchant: KeyFactory) -> ApiClient:
    merchant = await make_merchant(name="Coffee Almaty")
    return api_client(await make_api_key(merchant), server=paying_app)


async def test_partial_then_remainder_on_bnb_chain(
        shop: ApiClient, paying_app: RunningApp, phone_page: Page, devnets: Devnets,
        db_pool: asyncpg.Pool, screenshot_dir: Path) -> None:
    started = time.monotonic()
    invoice = await create_invoice(shop, amount=150_000, assets=["USDT_BSC", "BNB", "USDT_SOL"],
                                   redirect_url=f"{paying_app.url}/healthz")
    page = phone_page
    errors = watch_errors(page)
    await page.goto(invoice["checkout_url"] + "?lang=ru")
    await page.evaluate("window.__sameDocument = true")
    scanned = await decode_qr(page.locator("#qr svg"))
    assert scanned == invoice["payment_options"][0]["uri"]

    # 1 of the 3 USDT owed: the page asks for the rest with a new QR code.
    await pay_bsc(scanned, rpc_url=devnets.bsc_rpc_url, amount=Decimal("1"), wallet=2)
    await expect(page.locator("#status-text")).to_have_text(
        "Получена часть оплаты. Оплатите оставшуюся сумму.", timeout=PAID_TIMEOUT_MS)
    option = await option_row(db_pool, invoice["id"], "USDT_BSC")
    async with db_pool.acquire() as conn:
        paid = await conn.fetchval("SELECT amount_paid FROM invoices WHERE id = $1",
                                   invoice["id"])
    assert paid == 50_000  # 1 USDT at 500 KZT
    remainder = uri_for_units(option, remaining_units(option, 150_000, paid))
    await expect(page.locator("#wallet-link")).to_have_attribute("href", remainder)
    await expect(page.locator("#remaining-kzt")).to_have_text("1\u2009000,00\u00a0₸")
    rescanned = await decode_qr(page.locator("#qr svg"))
    assert rescanned == remainder
    await page.screenshot(path=str(screenshot_dir / "checkout-partial.png"), full_page=True)

    await pay_bsc(rescanned, rpc_url=devnets.bsc_rpc_url, wallet=2)
    await expect(page.locator("#status-text")).to_have_text(
        "Оплачено. Спасибо!", timeout=PAID_TIMEOUT_MS)
    assert await page.evaluate("window.__sameDocument") is True
    await page.wait_for_url(re.compile(r"/healthz$"), timeout=10_000)
    assert errors.messages == []
    assert time.monotonic() - started < 60


async def test_full_payment_on_solana(shop: ApiClient, phone_page: Page,
                                      devnets: Devnets) -> None:
    invoice = await create_invoice(shop, amount=150_000, assets=["USDT_BSC", "USDT_SOL"])
    page = phone_page
    errors = watch_errors(page)
    await page.goto(invoice["checkout_url"] + "?lang=en")
    await page.get_by_role("button", name="Pay with USDT on Solana").click()
    await expect(page.locator("#panel")).to_have_attribute("data-asset", "USDT_SOL")
    scanned = await decode_qr(page.locator("#qr svg"))
    assert scanned == invoice["payment_options"][1]["uri"]

    assert devnets.solana_rpc_url is not None
    await pay_solana(scanned, rpc_url=devnets.solana_rpc_url, wallet=1)
    await expect(page.locator("#status-text")).to_have_text(
        "Paid. Thank you!", timeout=PAID_TIMEOUT_MS)
    await expect(page.locator("#pay")).to_be_hidden()
    assert errors.messages == []
