"""A merchant's refunds in the portal: the invoice page lists them and offers the refund form
to owners and managers only; cashiers and accountants are refused on the server (403, nothing
created) whatever the page showed; a manager refunds a partial-then-expired invoice to a
claim link in a real headless Chromium, and the refunds page lists it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
import pytest
from playwright.async_api import Browser, expect

from gateway.checkout.formatting import format_kzt
from gateway.portal.roles import Role
from tests.browser.refund_rows import StrandedInvoice, partial_then_expired
from tests.plugins.app import ApiClient, RunningApp
from tests.plugins.browser import watch_errors
from tests.portal.support import PASSWORD, client, make_user

KeyFactory = Callable[..., Awaitable[str]]


@pytest.fixture
async def stranded(app_server: RunningApp, db_pool: asyncpg.Pool,
                   api_client: Callable[..., ApiClient], make_api_key: KeyFactory,
                   make_merchant: KeyFactory) -> StrandedInvoice:
    shop = api_client(await make_api_key(await make_merchant(name="Kok Bazaar")))
    return await partial_then_expired(db_pool, shop, app_server.url)


async def refund_count(pool: asyncpg.Pool, invoice_id: str) -> int:
    async with pool.acquire() as conn:
        count: int = await conn.fetchval("SELECT count(*) FROM refunds WHERE invoice_id = $1",
                                         invoice_id)
    return count


@pytest.mark.parametrize("role", [Role.CASHIER, Role.ACCOUNTANT])
async def test_cashiers_and_accountants_cannot_refund(
        app_server: RunningApp, db_pool: asyncpg.Pool, stranded: StrandedInvoice,
        role: Role) -> None:
    user = await make_user(db_pool, stranded.merchant_id, role)
    http = client(app_server.url)
    async with http.http:
        await http.sign_in(user)
        status, page = await http.get(f"/merchant/invoices/{stranded.invoice_id}")
        if role is Role.ACCOUNTANT:  # reads the invoice and its refunds, without the form
            assert status == 200 and 'id="refund-form"' not in page
            assert (await http.get("/merchant/refunds"))[0] == 200
        else:
            assert status == 403 and "data-testid=\"refundable\"" not in page
        posted = await http.post(f"/merchant/invoices/{stranded.invoice_id}/refunds",
                                 {"amount": "", "reason": "not mine to give"})
        assert posted[0] == 403
    assert await refund_count(db_pool, stranded.invoice_id) == 0


async def test_refund_needs_the_form_token(app_server: RunningApp, db_pool: asyncpg.Pool,
                                           stranded: StrandedInvoice) -> None:
    owner = await make_user(db_pool, stranded.merchant_id, Role.OWNER)
    http = client(app_server.url)
    async with http.http:
        await http.sign_in(owner)
        posted = await http.post(f"/merchant/invoices/{stranded.invoice_id}/refunds",
                                 {"amount": ""}, csrf=False)
        assert posted[0] == 403
    assert await refund_count(db_pool, stranded.invoice_id) == 0


async def test_manager_refunds_to_a_claim_link(
        app_server: RunningApp, db_pool: asyncpg.Pool, stranded: StrandedInvoice,
        api_client: Callable[..., ApiClient], browser: Browser) -> None:
    manager = await make_user(db_pool, stranded.merchant_id, Role.MANAGER)
    context = await browser.new_context(viewport={"width": 360, "height": 740},
                                        locale="en-US")
    page = await context.new_page()
    page.set_default_timeout(10_000)
    errors = watch_errors(page)
    try:
        await page.goto(f"{app_server.url}/merchant/invoices/{stranded.invoice_id}?lang=en")
        await page.get_by_label("Email").fill(manager)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        refundable = await page.locator("[data-testid=refundable]").text_content()
        assert refundable is not None and refundable.endswith("₸")
        await page.locator("#refund-box summary").click()
        await page.get_by_label("Reason (optional)").fill("paid too late")
        await page.locator("#refund-submit").click()
        await expect(page.locator(".notice")).to_have_text("Refund created.")
        row = page.locator("[data-testid=refunds] tbody tr")
        await expect(row).to_have_count(1)
        status = row.locator("[data-testid=refund-status]")
        await expect(status).to_have_text("Waiting for the shopper's address")  # in words
        await expect(status).to_have_attribute("data-status", "awaiting_address")
        link = await row.locator("[data-testid=claim-url]").get_attribute("href")
        assert link is not None and link.startswith(f"{app_server.url}/refunds/claim/")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360

        await page.goto(f"{app_server.url}/merchant/refunds")
        await expect(page.locator("[data-testid=refunds] tbody tr")).to_contain_text(
            stranded.invoice_id)
        assert errors.messages == []
    finally:
        await context.close()
    async with db_pool.acquire() as conn:
        made = await conn.fetchrow("SELECT * FROM refunds WHERE invoice_id = $1",
                                   stranded.invoice_id)
        audit = await conn.fetchval(
            "SELECT action FROM merchant_audit_log WHERE target_id = $1", made["id"])
    assert made["reason"] == "paid too late" and audit == "refund.create"
    assert refundable == format_kzt(made["amount"], ".")


async def test_refusals_are_shown_on_the_invoice_page_and_nothing_is_created(
        app_server: RunningApp, db_pool: asyncpg.Pool, stranded: StrandedInvoice) -> None:
    owner = await make_user(db_pool, stranded.merchant_id, Role.OWNER)
    http = client(app_server.url)
    path = f"/merchant/invoices/{stranded.invoice_id}"
    async with http.http:
        await http.sign_in(owner)
        await http.get(path + "?lang=en")
        lowercase = "0x52908400098527886e0f7030069857d2e4169ee7"
        status, _, page = await http.post(path + "/refunds", {"address": lowercase})
        assert status == 422 and "EIP-55" in page and f'value="{lowercase}"' in page
        status, _, page = await http.post(path + "/refunds", {"amount": "1500,5x"})
        assert status == 400 and "amount" in page
        status, _, page = await http.post(path + "/refunds", {"amount": "100000"})
        assert status == 422 and "over the" in page  # 1,000 KZT > the 750 KZT stranded
    assert await refund_count(db_pool, stranded.invoice_id) == 0
