"""The portal and point of sale in a real headless Chromium against the real app.

A zone administrator invites the owner in the console (the one-time link shown once); the
owner makes an account with it, signs in on a desktop, adds a terminal, invites a cashier and
creates an API key and a test key (each shown once). The cashier, on a 360 x 740 phone,
charges 2 × "Latte" (750 ₸ each) while a shopper's phone shows the terminal's stand sticker
page, which picks the charge up live; the customer view's QR (cropped from a screenshot) decodes to
the invoice's exact payment URI; the payment (the lifecycle's writes, as the checkout tests
make them) first pays part, and the screen asks for the remainder with a new QR; the rest
turns the screen to paid and then the receipt, whose link a shopper opens without
signing in. The cashier's developers page is
a 403 with nothing of it; no page breaks its CSP or scrolls sideways on the phone.
"""

from __future__ import annotations

import io
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import zxingcpp
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Page, expect

from gateway.admin import auth
from gateway.checkout.remainder import remaining_units, uri_for_units
from gateway.invoices.states import InvoiceException, InvoiceStatus
from gateway.merchants.ids import random_token
from gateway.payments.amounts import format_units
from gateway.portal.roles import Role
from tests.browser.support import advance
from tests.browser.test_checkout_page import option_row
from tests.plugins.app import RunningApp
from tests.plugins.browser import watch_errors
from tests.portal.support import PASSWORD, email, make_user

MakeMerchant = Callable[..., Awaitable[str]]
HOOK = "http://127.0.0.1:9/ccp-hook"  # the test app runs in dev: a local receiver is allowed


async def _accept_and_sign_in(page: Page, link: str, address: str) -> None:
    await page.goto(link)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create your account").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await page.get_by_label("Email").fill(address)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()


async def _console_invites_owner(context: BrowserContext, app_server: RunningApp,
                                 db_pool: asyncpg.Pool, merchant_id: str, owner_email: str,
                                 screenshot_dir: Path) -> str:
    """A zone administrator signs in to the console, opens the merchant and invites its
    owner; returns the one-time link the page shows once."""
    admin_name = f"zone-admin-{random_token(6).lower()}"
    async with db_pool.acquire() as conn:
        await auth.create_user(conn, admin_name, PASSWORD, auth.Role.ADMIN)
    console = await context.new_page()
    errors = watch_errors(console)
    await console.goto(f"{app_server.url}/admin/login")
    await console.fill("input[name=username]", admin_name)
    await console.fill("input[name=password]", PASSWORD)
    await console.click("button[type=submit]")
    await console.goto(f"{app_server.url}/admin/merchants/{merchant_id}")
    await console.get_by_label("Owner's email").fill(owner_email)
    await console.get_by_role("button", name="Invite owner").click()
    link = (await console.locator("#invite-link").text_content() or "").strip()
    assert link.startswith(f"{app_server.url}/merchant/invite/")
    await console.locator("[data-testid=new-invite]").screenshot(
        path=str(screenshot_dir / "console-owner-invite.png"))
    await console.goto(f"{app_server.url}/admin/merchants/{merchant_id}")  # shown once
    await expect(console.locator("#invite-link")).to_have_count(0)
    await expect(console.get_by_text(owner_email)).to_be_visible()
    assert errors.messages == []
    await console.close()
    return link


async def _fits_phone(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} scrolls sideways on a phone ({width} px)"


MM = 96 / 25.4  # CSS px per millimetre


async def _prints_on_thermal_paper(page: Page) -> None:
    """Print media: no navigation, the receipt within an 80 mm roll's 72 mm (and a 58 mm
    roll's 48 mm when the paper is that narrow)."""
    await page.emulate_media(media="print")
    try:
        assert not await page.locator("nav.menu").is_visible()
        assert not await page.locator("#print").is_visible()
        for paper_px, printable_mm in ((360, 72), (200, 48)):
            await page.set_viewport_size({"width": paper_px, "height": 740})
            width = await page.evaluate("document.querySelector('main').offsetWidth")
            assert width <= printable_mm * MM + 1, (paper_px, width)
    finally:
        await page.set_viewport_size({"width": 360, "height": 740})
        await page.emulate_media(media="screen")


async def _decode_qr(page: Page) -> str:
    image = Image.open(io.BytesIO(await page.locator("#qr").screenshot()))
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, f"expected one QR code, found {len(found)}"
    return str(found[0].text)


async def test_owner_invites_a_cashier_who_charges_on_a_phone(
        browser: Browser, phone_page: Page, app_server: RunningApp, db_pool: asyncpg.Pool,
        make_merchant: MakeMerchant, screenshot_dir: Path) -> None:
    merchant_id = await make_merchant(name="Coffee Almaty")
    owner_email = email(Role.OWNER)
    desktop = await browser.new_context(viewport={"width": 1280, "height": 800},
                                        locale="en-US")
    owner_link = await _console_invites_owner(desktop, app_server, db_pool, merchant_id,
                                              owner_email, screenshot_dir)
    owner = await desktop.new_page()
    owner_errors = watch_errors(owner)
    await _accept_and_sign_in(owner, owner_link, owner_email)
    await expect(owner.get_by_role("heading", name=re.compile("^Today"))).to_be_visible()

    await owner.get_by_role("link", name="Terminals").click()
    await owner.get_by_label("Terminal name").fill("Till 1")
    await owner.locator("#add-terminal").click()
    await expect(owner.get_by_role("link", name="Till 1")).to_be_visible()
    await owner.get_by_label("Item").fill("Latte")
    await owner.get_by_label("Price, ₸").fill("750")
    await owner.locator("#add-item").click()
    await expect(owner.get_by_text("Latte · 750.00")).to_be_visible()

    cashier_email = email(Role.CASHIER)
    await owner.get_by_role("link", name="Team").click()
    await owner.locator("form#invite-form, form").filter(
        has=owner.locator("#invite")).get_by_label("Email").fill(cashier_email)
    await owner.locator("#invite").click()
    cashier_link = (await owner.locator("#invite-link").text_content() or "").strip()
    assert cashier_link.startswith(f"{app_server.url}/merchant/invite/")

    await owner.get_by_role("link", name="Developers").click()
    await owner.get_by_role("button", name="Create API key").click()
    await expect(owner.locator("#new-key")).to_have_text(re.compile(r"^ccp_live_\w{40}$"))
    await owner.get_by_role("button", name="Create test key").click()
    await expect(owner.locator("#new-key")).to_have_text(re.compile(r"^ccp_test_\w{40}$"))
    await expect(owner.get_by_text("test mode")).to_have_count(1)  # the test key's row
    await owner.screenshot(path=str(screenshot_dir / "portal-developers.png"), full_page=True,
                           scale="css")
    assert owner_errors.messages == []
    await desktop.close()

    async with db_pool.acquire() as conn:
        terminal_id = await conn.fetchval(
            "SELECT id FROM pos_terminals WHERE merchant_id = $1", merchant_id)
    shopper_context = await browser.new_context(viewport={"width": 360, "height": 740})
    stand = await shopper_context.new_page()  # the shopper scanned the stand sticker
    stand_errors = watch_errors(stand)
    await stand.goto(f"{app_server.url}/t/{terminal_id}?lang=en")
    await expect(stand.locator("#status")).to_contain_text("No charge yet")

    cashier = phone_page
    errors = watch_errors(cashier)
    await _accept_and_sign_in(cashier, cashier_link, cashier_email)
    await expect(cashier.get_by_role("heading", name="Till 1")).to_be_visible()
    await _fits_phone(cashier)
    plus = cashier.get_by_role("button", name="Add one: Latte")
    await plus.click()
    await plus.click()
    await expect(cashier.locator("#charge-total")).to_have_text("1\u2009500.00\u00a0₸")
    await cashier.screenshot(path=str(screenshot_dir / "pos-keypad.png"), scale="css")
    await cashier.get_by_role("button", name="Charge").click()

    await expect(cashier.locator("#amount-kzt")).to_have_text("1\u2009500.00\u00a0₸")
    await expect(cashier.locator("#charge-items")).to_have_text("2 × Latte")
    await expect(cashier.locator("#status")).to_have_text("Waiting for payment")
    invoice_id = cashier.url.rsplit("/", 1)[1]
    async with db_pool.acquire() as conn:
        option = await conn.fetchrow(
            "SELECT asset, uri, amount_units, decimals FROM invoice_payment_options "
            "WHERE invoice_id = $1 ORDER BY position LIMIT 1", invoice_id)
    await expect(cashier.locator("#qr")).to_be_visible()
    assert await _decode_qr(cashier) == option["uri"]
    await _fits_phone(cashier)
    await cashier.screenshot(path=str(screenshot_dir / "pos-customer-view.png"), scale="css")
    await expect(stand.locator("#amount-kzt")).to_have_text("1\u2009500.00\u00a0₸")
    await expect(stand.locator("#wallet-link")).to_have_attribute("href", option["uri"])
    await stand.screenshot(path=str(screenshot_dir / "pos-stand.png"), scale="css")
    await stand.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await stand.locator('[data-copy="copy-amount"]').click()
    assert await stand.evaluate("navigator.clipboard.readText()") == format_units(
        int(option["amount_units"]), option["decimals"])

    await advance(db_pool, invoice_id, "invoice.paid_partial", app_server.url,
                  amount_paid=60_000, exception=InvoiceException.PAID_PARTIAL)
    await expect(cashier.locator("#remaining-kzt")).to_have_text("900.00\u00a0₸")
    paid_part = await option_row(db_pool, invoice_id, option["asset"])
    rest = uri_for_units(paid_part, remaining_units(paid_part, 150_000, 60_000))
    await expect(cashier.locator("#wallet-link")).to_have_attribute("href", rest)
    assert await _decode_qr(cashier) == rest
    await expect(stand.locator("#wallet-link")).to_have_attribute("href", rest)
    await advance(db_pool, invoice_id, "invoice.processing", app_server.url,
                  amount_paid=150_000, status=InvoiceStatus.PROCESSING)
    await expect(cashier.locator("#status")).to_have_text("Payment seen, confirming…")
    await advance(db_pool, invoice_id, "invoice.settled", app_server.url,
                  status=InvoiceStatus.SETTLED)
    await expect(cashier.locator("#receipt-total")).to_have_text("1\u2009500.00\u00a0₸")
    await expect(cashier.locator("#receipt-status")).to_have_text("Paid")
    await expect(stand.locator("#receipt-status")).to_have_text("Paid")  # the shopper's too
    assert stand_errors.messages == []
    await shopper_context.close()
    await _fits_phone(cashier)
    await cashier.screenshot(path=str(screenshot_dir / "pos-receipt.png"), scale="css")
    assert errors.messages == []
    await _prints_on_thermal_paper(cashier)
    link = await cashier.locator("#receipt-link").get_attribute("href")
    assert link is not None and "/r/" in link

    shopper = await browser.new_context(viewport={"width": 360, "height": 740})
    kept = await shopper.new_page()
    await kept.goto(link)  # the shopper's own receipt: no sign-in
    await expect(kept.locator("#receipt-total")).to_have_text("1\u2009500.00\u00a0₸")
    await shopper.close()

    response = await cashier.goto(f"{app_server.url}/merchant/developers")
    assert response is not None and response.status == 403
    assert await cashier.locator("table").count() == 0
    assert "ccp_live_" not in await cashier.content()


async def test_portal_speaks_kazakh_and_russian(phone_page: Page, app_server: RunningApp
                                                ) -> None:
    await phone_page.goto(f"{app_server.url}/merchant/login?lang=kk")
    await expect(phone_page.get_by_role("heading", name="Кіру")).to_be_visible()
    await phone_page.goto(f"{app_server.url}/merchant/login")  # the choice is remembered
    await expect(phone_page.get_by_role("heading", name="Кіру")).to_be_visible()
    await phone_page.goto(f"{app_server.url}/merchant/login?lang=ru")
    await expect(phone_page.get_by_role("heading", name="Войти")).to_be_visible()
    await _fits_phone(phone_page)


async def test_owner_adds_disables_and_deletes_a_webhook_endpoint(
        browser: Browser, app_server: RunningApp, db_pool: asyncpg.Pool,
        make_merchant: MakeMerchant, screenshot_dir: Path) -> None:
    merchant_id = await make_merchant(name="Coffee Almaty")
    owner_email = await make_user(db_pool, merchant_id, Role.OWNER)
    desktop = await browser.new_context(viewport={"width": 1280, "height": 800},
                                        locale="en-US")
    owner = await desktop.new_page()
    await owner.goto(f"{app_server.url}/merchant/login?lang=en")
    await owner.get_by_label("Email").fill(owner_email)
    await owner.get_by_label("Password").fill(PASSWORD)
    await owner.get_by_role("button", name="Sign in").click()
    await owner.get_by_role("link", name="Developers").click()

    await owner.get_by_label("Endpoint URL (https)").fill("http://169.254.169.254/latest")
    await owner.locator("#add-endpoint").click()
    await expect(owner.get_by_role("alert")).to_contain_text("not allowed")
    errors = watch_errors(owner)  # from here on: the 400 above is the browser's only error
    await owner.get_by_label("Endpoint URL (https)").fill(HOOK)
    await owner.get_by_label("Note (optional)").fill("Order system")
    await owner.locator("#add-endpoint").click()
    await expect(owner.locator("#new-endpoint-secret")).to_have_text(
        re.compile(r"^whsec_\w{32}$"))
    row = owner.locator("#endpoints tbody tr").filter(has_text=HOOK)
    await expect(row).to_contain_text("All events")
    await owner.screenshot(path=str(screenshot_dir / "portal-webhooks.png"), full_page=True,
                           scale="css")

    await row.get_by_role("button", name="Disable").click()
    await expect(row).to_contain_text("Disabled")
    await expect(owner.locator("#new-endpoint-secret")).to_have_count(0)  # shown once
    owner.once("dialog", lambda dialog: dialog.accept())
    await row.get_by_role("button", name="Delete").click()
    await expect(owner.locator("#endpoints")).to_have_count(0)
    async with db_pool.acquire() as conn:
        actions = await conn.fetch("SELECT action FROM merchant_audit_log WHERE merchant_id = $1"
                                   " AND action LIKE 'webhook_endpoint.%' ORDER BY id",
                                   merchant_id)
    assert [a["action"] for a in actions] == [
        "webhook_endpoint.create", "webhook_endpoint.disable", "webhook_endpoint.delete"]
    assert errors.messages == []
    await desktop.close()
