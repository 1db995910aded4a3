"""The portal's pages with a shop's day in them, in Chromium, in Kazakh, Russian and English:
the pictures of docs/merchant-guide.md (written there with SCREENSHOTS_TO_DOCS=1: the invoice
with its payment and refund button, the refund form and the refunds page included), and what
they must show people: tenge with the ₸ sign and thin-space groups, crypto in the coin's
units, times in Asia/Almaty with the zone named, no sideways scrolling on a 360 px phone, no
page error."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import aiohttp
import asyncpg
from playwright.async_api import Browser, Page, expect

from gateway.invoices.states import InvoiceStatus
from gateway.lifecycle.service import apply_invoices
from gateway.portal.roles import Role
from gateway.transfers.sink import TransferSink
from settlement.batches import service as batches
from settlement.payouts.bin import make_bin
from tests.browser.support import advance, create_invoice
from tests.plugins.app import ApiClient, RunningApp
from tests.plugins.browser import watch_errors
from tests.portal.support import PASSWORD, client, make_user
from tests.refunds.helpers import overpaid_invoice
from tests.settlement_flow.helpers import db_now, settle_invoice

MakeMerchant = Callable[..., Awaitable[str]]
THIN = "\u2009"
NBSP = "\u00a0"
TODAY_HEADINGS = {"en": "Today", "ru": "Сегодня", "kk": "Бүгін"}


async def _sign_in(page: Page, base: str, address: str, lang: str) -> None:
    await page.goto(f"{base}/merchant/login?lang={lang}")
    await page.locator("input[name=email]").fill(address)
    await page.locator("input[name=password]").fill(PASSWORD)
    await page.locator("button[type=submit]").click()


async def _shop_with_a_day(db_pool: asyncpg.Pool, make_merchant: MakeMerchant,
                           make_api_key: Callable[..., Awaitable[str]],
                           api_client: Callable[..., ApiClient], base: str
                           ) -> tuple[str, str, str, str]:
    """A merchant with a terminal, items, two paid sales, one open invoice and a closed
    payout batch; returns its id, the owner's email, the terminal id and a paid invoice."""
    merchant_id = await make_merchant(name="Coffee Almaty", bic="CASPKZKA",
                                      bin=make_bin("99034000001"))
    owner_email = await make_user(db_pool, merchant_id, Role.OWNER)
    setup = client(base)
    try:
        await setup.sign_in(owner_email)
        await setup.get("/merchant/terminals")
        await setup.post("/merchant/terminals", {"name": "Till 1"})
        for name, price in (("Latte", "750"), ("Baursak", "250"), ("Americano", "1200")):
            await setup.post("/merchant/items", {"name": name, "price": price})
    finally:
        await setup.http.close()
    api = api_client(await make_api_key(merchant_id))
    paid = []
    for amount, order in ((1_250_000, "ORD-1041"), (420_000, "ORD-1042")):
        invoice = await create_invoice(api, amount=amount, order_id=order,
                                       description="Coffee and baursaks")
        await advance(db_pool, invoice["id"], "invoice.processing", base,
                      amount_paid=amount, status=InvoiceStatus.PROCESSING)
        await advance(db_pool, invoice["id"], "invoice.settled", base,
                      status=InvoiceStatus.SETTLED)
        paid.append(invoice["id"])
    await create_invoice(api, amount=300_000, order_id="ORD-1043", description="Cake")
    async with db_pool.acquire() as conn:
        start = await db_now(conn)
        await settle_invoice(conn, merchant_id, units=25 * 10**18, kzt_gross=1_250_000,
                             fee=12_500)
        cut = await db_now(conn)
        await batches.close_period(conn, (cut + timedelta(hours=5)).date(), start, cut,
                                   merchant_ids=[merchant_id])
        terminal_id = await conn.fetchval(
            "SELECT id FROM pos_terminals WHERE merchant_id = $1", merchant_id)
    return merchant_id, owner_email, terminal_id, paid[0]


async def _invoice_and_refund(page: Page, base: str, merchant_id: str,
                              make_api_key: Callable[..., Awaitable[str]],
                              db_pool: asyncpg.Pool, screenshot_dir: Path) -> None:
    """The invoice page with a payment on chain and the refund button (portal-invoice.png),
    its refund form (portal-refund.png) and the refunds page after it (portal-refunds.png).
    Last: the overpaid sale it pays would change the payouts page's figures."""
    async with aiohttp.ClientSession() as http:
        invoice = await overpaid_invoice(ApiClient(http, base, await make_api_key(merchant_id)),
                                         TransferSink(db_pool, apply_invoices))
    await page.goto(f"{base}/merchant/invoices/{invoice['id']}")
    main = page.locator("main")
    await expect(main).to_contain_text("BNB · BNB Chain")
    await expect(main).to_contain_text("0.0055 BNB")  # the payment, in the coin's units
    await expect(page.locator("[data-testid=refundable]")).to_have_text(f"150.00{NBSP}₸")
    await expect(page.locator("#refund-box summary")).to_be_visible()
    await page.screenshot(path=str(screenshot_dir / "portal-invoice.png"), full_page=True,
                          scale="css")
    await page.locator("#refund-box summary").click()
    await expect(page.locator("#refund-form")).to_be_visible()
    await page.locator("#refund-box").screenshot(
        path=str(screenshot_dir / "portal-refund.png"), scale="css")
    await page.get_by_label("Reason (optional)").fill("overpaid at the till")
    await page.locator("#refund-submit").click()
    await expect(page.locator(".notice")).to_have_text("Refund created.")
    await page.goto(f"{base}/merchant/refunds")
    await expect(page.locator("[data-testid=refund-status]")).to_have_text(
        "Waiting for the shopper's address")
    await page.screenshot(path=str(screenshot_dir / "portal-refunds.png"), full_page=True,
                          scale="css")


async def _fits_phone(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} scrolls sideways on a phone ({width} px)"


async def test_the_guides_pages_in_three_languages(
        browser: Browser, phone_page: Page, app_server: RunningApp, db_pool: asyncpg.Pool,
        make_merchant: MakeMerchant, make_api_key: Callable[..., Awaitable[str]],
        api_client: Callable[..., ApiClient], screenshot_dir: Path) -> None:
    base = app_server.url
    merchant_id, owner_email, terminal_id, paid_id = await _shop_with_a_day(
        db_pool, make_merchant, make_api_key, api_client, base)

    phone = phone_page
    errors = watch_errors(phone)
    await _sign_in(phone, base, owner_email, "en")
    for lang in ("en", "ru", "kk"):
        await phone.goto(f"{base}/merchant?lang={lang}")
        await expect(phone.locator("h1")).to_contain_text(TODAY_HEADINGS[lang])
        decimal = "." if lang == "en" else ","
        await expect(phone.locator("#sales-total")).to_have_text(
            f"16{THIN}700{decimal}00{NBSP}₸")
        await expect(phone.locator("#pending-total")).to_have_text(
            f"3{THIN}000{decimal}00{NBSP}₸")
        await expect(phone.locator("footer")).to_contain_text("UTC+5")
        await _fits_phone(phone)
        await phone.screenshot(path=str(screenshot_dir / f"portal-today-{lang}.png"),
                               full_page=True, scale="css")
        await phone.goto(f"{base}/pos/t/{terminal_id}?lang={lang}")
        await expect(phone.locator("#charge-total")).to_be_visible()
        await _fits_phone(phone)
        if lang != "en":  # the English keypad is pos-keypad.png, from test_browser.py
            await phone.screenshot(path=str(screenshot_dir / f"pos-keypad-{lang}.png"),
                                   scale="css")
    assert errors.messages == []

    desktop = await browser.new_context(viewport={"width": 1100, "height": 760},
                                        locale="en-US")
    page = await desktop.new_page()
    errors = watch_errors(page)
    await _sign_in(page, base, owner_email, "en")
    await page.goto(f"{base}/merchant/invoices")
    await expect(page.locator("table")).to_contain_text(f"12{THIN}500.00{NBSP}₸")
    await expect(page.locator("table")).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d"))
    await page.screenshot(path=str(screenshot_dir / "portal-invoices.png"), scale="css")
    await page.goto(f"{base}/merchant/invoices/{paid_id}")
    await expect(page.locator("main")).not_to_contain_text("000000000000")  # no base units
    await expect(page.locator("main")).to_contain_text(f"1 BNB = 300{THIN}000{NBSP}₸")
    await expect(page.locator("main")).not_to_contain_text("E+")  # no exponent in a rate
    await page.goto(f"{base}/merchant/payouts")
    await expect(page.locator("main")).to_contain_text(f"12{THIN}375.00{NBSP}₸")  # net
    await expect(page.locator("#statement")).to_contain_text(f"12{THIN}500.00{NBSP}₸")
    await expect(page.locator("#statement")).not_to_contain_text("12500.00")
    await page.screenshot(path=str(screenshot_dir / "portal-payouts.png"), full_page=True,
                          scale="css")
    for name in ("settings", "team", "terminals"):
        await page.goto(f"{base}/merchant/{name}")
        await page.screenshot(path=str(screenshot_dir / f"portal-{name}.png"),
                              full_page=True, scale="css")
    await page.goto(f"{base}/merchant/terminals/{terminal_id}/sticker")
    await page.locator("main").screenshot(path=str(screenshot_dir / "pos-sticker.png"),
                                          scale="css")
    await _invoice_and_refund(page, base, merchant_id, make_api_key, db_pool, screenshot_dir)
    assert errors.messages == []
    await desktop.close()
