"""A shopper on a phone (headless Chromium, 360x740) claims a refund on the claim page.

The refunds are put in place by one INSERT each (tests/browser/refund_rows.py): these tests
are about the page; the claim itself goes through gateway.refunds.service.claim_refund, which
checks the address (EIP-55 on BNB Chain, an on-curve key on Solana).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from eth_utils import to_checksum_address
from playwright.async_api import Page, expect
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from tests.browser.refund_rows import RefundRow, insert_refund
from tests.browser.support import create_invoice
from tests.plugins.app import ApiClient, RunningApp
from tests.plugins.browser import watch_errors

KeyFactory = Callable[..., Awaitable[str]]
MERCHANT = "Coffee Almaty"
FIVE_MILLI_BNB = 5 * 10**15


def bsc_address() -> str:
    return to_checksum_address("0x" + secrets.token_hex(20))


def miscased(address: str) -> str:
    """The same 20 bytes with the EIP-55 checksum broken (one letter's case flipped)."""
    at = next(i for i, c in enumerate(address) if i > 1 and c.isalpha())
    return address[:at] + address[at].swapcase() + address[at + 1:]


def off_curve_key() -> str:
    """32 bytes that are base58 like a Solana address but no ed25519 point: no wallet has
    its key, so money sent there is lost."""
    while True:
        key = Pubkey(secrets.token_bytes(32))
        if not key.is_on_curve():
            return str(key)


@pytest.fixture
async def invoice(api_client: Callable[..., ApiClient], make_api_key: KeyFactory,
                  make_merchant: KeyFactory) -> tuple[str, str]:
    merchant = await make_merchant(name=MERCHANT)
    created = await create_invoice(api_client(await make_api_key(merchant)), amount=1_234_550)
    return merchant, created["id"]


async def stranded(pool: asyncpg.Pool, invoice: tuple[str, str], asset: str, units: int,
                   **fields: object) -> RefundRow:
    async with pool.acquire() as conn:
        return await insert_refund(conn, merchant_id=invoice[0], invoice_id=invoice[1],
                                   amount=1_234_550, asset=asset, units=units, **fields)


async def refund_row(pool: asyncpg.Pool, refund_id: str) -> asyncpg.Record:
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM refunds WHERE id = $1", refund_id)
    assert row is not None
    return row


async def fits_the_phone(page: Page) -> bool:
    width: int = await page.evaluate("document.documentElement.scrollWidth")
    return width <= 360


@pytest.mark.parametrize(("lang", "title", "kzt"), [
    ("kk", f"«{MERCHANT}» дүкенінен қайтарым", "12\u2009345,50\u00a0₸"),
    ("ru", f"Возврат от «{MERCHANT}»", "12\u2009345,50\u00a0₸"),
    ("en", f"Refund from {MERCHANT}", "12\u2009345.50\u00a0₸"),
])
async def test_claim_page_reads_in_each_language_on_a_phone(
        app_server: RunningApp, db_pool: asyncpg.Pool, invoice: tuple[str, str],
        phone_page: Page, screenshot_dir: Path, lang: str, title: str, kzt: str) -> None:
    row = await stranded(db_pool, invoice, "BNB", FIVE_MILLI_BNB)
    page = phone_page
    errors = watch_errors(page)
    response = await page.goto(f"{app_server.url}/refunds/claim/{row.claim_token}?lang={lang}")
    assert response is not None and response.headers["content-language"] == lang
    await expect(page.locator("html")).to_have_attribute("lang", lang)
    await expect(page.locator("h1")).to_have_text(title)
    await expect(page.locator("#amount-kzt")).to_have_text(kzt)
    await expect(page.locator("#amount-units")).to_have_text("0.005 BNB · BNB Chain")
    await expect(page.locator("input[name=asset][value=BNB]")).to_be_checked()
    assert await fits_the_phone(page)
    await page.screenshot(path=str(screenshot_dir / f"refund-claim-{lang}.png"), full_page=True)
    assert errors.messages == []


async def test_bad_bsc_address_is_refused_inline_then_a_good_one_is_claimed(
        app_server: RunningApp, db_pool: asyncpg.Pool, invoice: tuple[str, str],
        phone_page: Page, screenshot_dir: Path) -> None:
    row = await stranded(db_pool, invoice, "BNB", FIVE_MILLI_BNB)
    good = bsc_address()
    page = phone_page
    await page.goto(f"{app_server.url}/refunds/claim/{row.claim_token}?lang=ru")
    await page.fill("#address", miscased(good))
    await page.get_by_role("button", name="Получить возврат").click()
    await expect(page.locator("#claim-error")).to_have_text(
        "Это неверный адрес в сети BNB Chain. Скопируйте его из кошелька ещё раз.")
    await expect(page.locator("#address")).to_have_value(miscased(good))
    await expect(page.locator("#address")).to_have_attribute("aria-invalid", "true")
    assert await fits_the_phone(page)
    await page.screenshot(path=str(screenshot_dir / "refund-claim-bad-address.png"),
                          full_page=True)
    assert (await refund_row(db_pool, row.id))["status"] == "awaiting_address"

    await page.fill("#address", good)
    await page.get_by_role("button", name="Получить возврат").click()
    await expect(page.locator("#refund-address")).to_have_text(good)
    claimed = await refund_row(db_pool, row.id)
    assert (claimed["status"], claimed["address"], claimed["asset"]) == (
        "pending_approval", good, "BNB")
    await expect(page.locator("#status-text")).to_have_text(
        "Возврат ждёт подтверждения. Обычно это занимает меньше рабочего дня.")
    await expect(page.locator("form.claim-form")).to_have_count(0)


async def test_off_curve_solana_key_is_refused_in_kazakh(
        app_server: RunningApp, db_pool: asyncpg.Pool, invoice: tuple[str, str],
        phone_page: Page) -> None:
    row = await stranded(db_pool, invoice, "SOL", 2 * 10**9)
    page = phone_page
    await page.goto(f"{app_server.url}/refunds/claim/{row.claim_token}?lang=kk")
    await page.fill("#address", off_curve_key())
    await page.get_by_role("button", name="Қайтарымды алу").click()
    await expect(page.locator("#claim-error")).to_have_text(
        "Бұл Solana желісінің жарамды мекенжайы емес. Оны әмияныңыздан қайта көшіріңіз.")
    assert (await refund_row(db_pool, row.id))["status"] == "awaiting_address"

    wallet = str(Keypair().pubkey())
    await page.fill("#address", wallet)
    await page.get_by_role("button", name="Қайтарымды алу").click()
    await expect(page.locator("#refund-address")).to_have_text(wallet)
    assert (await refund_row(db_pool, row.id))["address"] == wallet


async def test_status_follows_the_refund_until_it_succeeds(
        app_server: RunningApp, db_pool: asyncpg.Pool, invoice: tuple[str, str],
        phone_page: Page, screenshot_dir: Path) -> None:
    address = bsc_address()
    row = await stranded(db_pool, invoice, "BNB", FIVE_MILLI_BNB, status="sending",
                         address=address)
    page = phone_page
    await page.goto(f"{app_server.url}/refunds/claim/{row.claim_token}?lang=en")
    await expect(page.locator("#status-text")).to_have_text("Your refund is being sent…")
    await expect(page.locator("#refund-tx")).to_have_count(0)
    tx = "0x" + secrets.token_hex(32)
    async with db_pool.acquire() as conn:  # what the sender does: signed, sent, final
        await conn.execute("UPDATE refunds SET tx_hash = $2, status = 'sent' WHERE id = $1",
                           row.id, tx)
        await conn.execute("UPDATE refunds SET status = 'succeeded' WHERE id = $1", row.id)
    # The page reloads itself while the refund moves; no reload by the test.
    await expect(page.locator("#status-text")).to_have_text("Refund received. Thank you!",
                                                             timeout=15_000)
    await expect(page.locator("#refund-tx")).to_have_text(tx)
    await expect(page.locator("#refund-address")).to_have_text(address)
    assert await fits_the_phone(page)
    await page.screenshot(path=str(screenshot_dir / "refund-claim-succeeded.png"),
                          full_page=True)


async def test_claim_post_needs_the_form_token_and_unknown_tokens_are_404(
        app_server: RunningApp, db_pool: asyncpg.Pool, invoice: tuple[str, str],
        http_session: aiohttp.ClientSession) -> None:
    row = await stranded(db_pool, invoice, "BNB", FIVE_MILLI_BNB)
    url = f"{app_server.url}/refunds/claim/{row.claim_token}?lang=en"
    async with http_session.post(url, data={"asset": "BNB", "address": bsc_address(),
                                            "csrf_token": "x" * 43}) as resp:
        assert resp.status == 403
        assert "This form has expired" in await resp.text()
    assert (await refund_row(db_pool, row.id))["status"] == "awaiting_address"
    async with http_session.get(f"{app_server.url}/refunds/claim/{'Z' * 32}?lang=en",
                                headers={"Accept-Language": "en"}) as resp:
        assert resp.status == 404
        assert "Refund not found" in await resp.text()
        assert resp.headers["Content-Security-Policy"].startswith("default-src 'self'")
