"""A shopper on a phone (headless Chromium, 360x740) uses the checkout page.

The live-status test moves the invoice with `advance()` (the writes the lifecycle makes); the
chains themselves are exercised in test_checkout_paying.py. Screenshots go to docs/img/.
"""

from __future__ import annotations

import io
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import zxingcpp
from PIL import Image
from playwright.async_api import Browser, Locator, Page, expect

from gateway.checkout.remainder import remaining_units, uri_for_units
from gateway.invoices.models import PaymentOption
from gateway.invoices.states import InvoiceException, InvoiceStatus
from tests.browser.support import advance, create_invoice
from tests.plugins.app import ApiClient, RunningApp
from tests.plugins.browser import watch_errors

KeyFactory = Callable[..., Awaitable[str]]


@pytest.fixture
async def client(api_client: Callable[..., ApiClient], make_api_key: KeyFactory,
                 make_merchant: KeyFactory) -> ApiClient:
    merchant = await make_merchant(name="Coffee Almaty")
    return api_client(await make_api_key(merchant))


async def decode_qr(qr: Locator) -> str:
    """The text of the QR code as a camera would see it: a screenshot of the element.

    Read as a wallet's camera reads it, QR codes only: with every format enabled the decoder
    may also report a linear "barcode" it made out of the QR's own modules, or the same
    symbol twice (found again downscaled or inverted). Exactly one distinct text must come
    out, and the message says what was found otherwise."""
    image = Image.open(io.BytesIO(await qr.screenshot()))
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    texts = {str(code.text) for code in found}
    assert len(texts) == 1, (f"expected one QR code, found {len(found)}: "
                             f"{[(str(f.format), f.text, str(f.position)) for f in found]} "
                             f"in a {image.size} screenshot")
    return texts.pop()


async def fits_the_phone(page: Page) -> bool:
    width: int = await page.evaluate("document.documentElement.scrollWidth")
    return width <= 360


async def option_row(pool: asyncpg.Pool, invoice_id: str, asset_id: str) -> PaymentOption:
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM invoice_payment_options "
                                  "WHERE invoice_id = $1 AND asset = $2", invoice_id, asset_id)
    assert row is not None
    return PaymentOption.from_row(row)


async def test_shopper_sees_amount_switches_asset_and_language(
        client: ApiClient, phone_page: Page, screenshot_dir: Path) -> None:
    invoice = await create_invoice(client, amount=1_234_550, order_id="A-1042",
                                   assets=["USDT_BSC", "BNB", "USDT_SOL", "SOL"])
    options: dict[str, dict[str, Any]] = {o["asset_id"]: o for o in invoice["payment_options"]}
    page = phone_page
    errors = watch_errors(page)
    await page.goto(invoice["checkout_url"])
    await expect(page.locator("#amount-kzt")).to_have_text("12\u2009345.50\u00a0₸")
    await expect(page.locator("#status-text")).to_have_text("Waiting for your payment")
    await expect(page.locator("#countdown")).to_have_text(re.compile(r"^1[45]:\d\d$"))
    assert await decode_qr(page.locator("#qr svg")) == options["USDT_BSC"]["uri"]
    assert await fits_the_phone(page)
    await page.screenshot(path=str(screenshot_dir / "checkout-waiting.png"), full_page=True)

    await page.get_by_role("button", name="Pay with SOL on Solana").click()
    await expect(page.locator("#panel")).to_have_attribute("data-asset", "SOL")
    await expect(page.get_by_role("button", name="Pay with SOL on Solana")).to_have_attribute(
        "aria-pressed", "true")
    assert await decode_qr(page.locator("#qr svg")) == options["SOL"]["uri"]
    await expect(page.locator("#wallet-link")).to_have_attribute("href", options["SOL"]["uri"])
    await expect(page.locator("#pay-target")).to_have_text(options["SOL"]["recipient"])
    assert page.url.endswith("?lang=en&asset=SOL")

    await page.get_by_role("button", name="Copy the amount").click()
    await expect(page.get_by_role("button", name="Copy the amount")).to_have_text("Copied")
    assert await page.evaluate("navigator.clipboard.readText()") == options["SOL"]["amount"]

    await page.get_by_role("link", name="Қазақша").click()
    await expect(page.locator("html")).to_have_attribute("lang", "kk")
    await expect(page.get_by_text("Төлеуге", exact=True)).to_be_visible()
    await expect(page.locator("#status-text")).to_have_text("Төлеміңізді күтудеміз")
    await expect(page.locator("#amount-kzt")).to_have_text("12\u2009345,50\u00a0₸")
    await expect(page.locator("#panel")).to_have_attribute("data-asset", "SOL")
    assert await decode_qr(page.locator("#qr svg")) == options["SOL"]["uri"]
    assert await fits_the_phone(page)
    await page.screenshot(path=str(screenshot_dir / "checkout-kk-sol.png"), full_page=True)
    assert errors.messages == []


async def test_live_status_partial_then_paid_without_reload(
        client: ApiClient, phone_page: Page, app_server: RunningApp, db_pool: asyncpg.Pool,
        screenshot_dir: Path) -> None:
    invoice = await create_invoice(client, amount=150_000, assets=["USDT_BSC", "USDT_SOL"],
                                   redirect_url=f"{app_server.url}/healthz")
    page = phone_page
    errors = watch_errors(page)
    await page.goto(invoice["checkout_url"])
    await page.evaluate("window.__sameDocument = true")  # gone if the page ever reloads
    await expect(page.locator("#status-text")).to_have_text("Waiting for your payment")

    await advance(db_pool, invoice["id"], "invoice.paid_partial", app_server.url,
                  amount_paid=60_000, exception=InvoiceException.PAID_PARTIAL)
    await expect(page.locator("#status-text")).to_contain_text("Part of the payment")
    await expect(page.locator("#remaining-kzt")).to_have_text("900.00\u00a0₸")
    option = await option_row(db_pool, invoice["id"], "USDT_BSC")
    remainder = uri_for_units(option, remaining_units(option, 150_000, 60_000))
    await expect(page.locator("#wallet-link")).to_have_attribute("href", remainder)
    assert await decode_qr(page.locator("#qr svg")) == remainder
    await expect(page.get_by_text("New QR code for the remaining amount")).to_be_visible()

    await advance(db_pool, invoice["id"], "invoice.processing", app_server.url,
                  amount_paid=150_000, status=InvoiceStatus.PROCESSING)
    await expect(page.locator("#status-text")).to_have_text(
        "Payment seen, waiting for confirmation…")
    await expect(page.locator("#pay")).to_be_hidden()
    await advance(db_pool, invoice["id"], "invoice.settled", app_server.url,
                  status=InvoiceStatus.SETTLED)
    await expect(page.locator("#status-text")).to_have_text("Paid. Thank you!")
    await expect(page.get_by_role("link", name="Return to Coffee Almaty")).to_have_attribute(
        "href", f"{app_server.url}/healthz")
    await expect(page.locator("#redirect-note")).to_contain_text("Returning to the shop in")
    assert await page.evaluate("window.__sameDocument") is True
    await page.screenshot(path=str(screenshot_dir / "checkout-paid.png"), full_page=True)
    assert errors.messages == []


async def test_unknown_invoice_page(phone_page: Page, app_server: RunningApp,
                                    screenshot_dir: Path) -> None:
    response = await phone_page.goto(f"{app_server.url}/pay/inv_0000000000000000?lang=ru")
    assert response is not None and response.status == 404
    await expect(phone_page.get_by_role("heading", name="Счёт не найден")).to_be_visible()


async def test_expiry_and_late_payment_are_explained(
        client: ApiClient, phone_page: Page, app_server: RunningApp,
        db_pool: asyncpg.Pool) -> None:
    invoice = await create_invoice(client, assets=["USDT_SOL"])
    page = phone_page
    await page.goto(invoice["checkout_url"] + "?lang=ru")
    await expect(page.locator("#pay")).to_be_visible()
    await advance(db_pool, invoice["id"], "invoice.expired", app_server.url,
                  status=InvoiceStatus.EXPIRED)
    await expect(page.locator("#status-text")).to_have_text(
        "Срок действия счёта истёк. Не отправляйте платёж.")
    await expect(page.locator("#pay")).to_be_hidden()
    await expect(page.locator("#timer")).to_be_hidden()
    await advance(db_pool, invoice["id"], "invoice.paid_late", app_server.url,
                  amount_paid=150_000, exception=InvoiceException.PAID_LATE)
    await expect(page.locator("#status-text")).to_contain_text("после истечения срока")


async def test_works_without_javascript(client: ApiClient, browser: Browser) -> None:
    invoice = await create_invoice(client, assets=["USDT_BSC", "SOL"])
    context = await browser.new_context(
        java_script_enabled=False, viewport={"width": 360, "height": 740}, locale="en-US")
    try:
        page = await context.new_page()
        await page.goto(invoice["checkout_url"])
        await page.get_by_role("button", name="Pay with SOL on Solana").click()
        await page.wait_for_url(re.compile(r"asset=SOL"))
        await expect(page.locator("#panel")).to_have_attribute("data-asset", "SOL")
        assert await decode_qr(page.locator("#qr svg")) == invoice["payment_options"][1]["uri"]
        await expect(page.locator("noscript")).to_have_count(1)
    finally:
        await context.close()


async def test_copy_falls_back_without_the_clipboard_api(client: ApiClient,
                                                         phone_page: Page) -> None:
    invoice = await create_invoice(client, assets=["BNB"])
    page = phone_page
    # Old or non-secure-context browsers: no navigator.clipboard at all.
    await page.add_init_script("Object.defineProperty(navigator, 'clipboard', "
                               "{value: undefined, configurable: true})")
    await page.goto(invoice["checkout_url"] + "?lang=kk")
    button = page.get_by_role("button", name="Мекенжайды көшіру")
    await button.click()
    await expect(page.locator("#copy-note")).to_have_text("Көшірілді")
    await expect(button).to_have_text("Көшірілді")


async def test_countdown_runs_out(client: ApiClient, phone_page: Page) -> None:
    invoice = await create_invoice(client, assets=["BNB"], expires_in=120)
    page = phone_page
    await page.clock.install()
    await page.goto(invoice["checkout_url"] + "?lang=en")
    await expect(page.locator("#countdown")).to_have_text(re.compile(r"^(2:00|1:59)$"))
    await page.clock.fast_forward("01:00")
    await expect(page.locator("#countdown")).to_have_text(re.compile(r"^(1:00|0:59)$"))
    await page.clock.fast_forward("01:05")
    await expect(page.locator("#countdown")).to_have_text("Time is up")
    await expect(page.locator("#status-text")).to_have_text(
        "This invoice has expired. Do not send a payment.")
    await expect(page.locator("#pay")).to_be_hidden()
