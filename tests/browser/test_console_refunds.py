"""Zone administrators work the refunds queue in the console (real headless Chromium against
the real app): amounts in KZT and in the asset's units, times in Asia/Almaty, approve and
reject with their audit rows, an auditor sees no buttons, and the invoice page's "Refund"
button turns a partial-then-expired invoice's stranded money into a claim link."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from playwright.async_api import Browser, Page, expect

from gateway.admin import auth
from gateway.admin.console.formatting import kzt
from tests.browser.refund_rows import insert_refund, partial_then_expired
from tests.plugins.app import ApiClient, RunningApp
from tests.plugins.browser import watch_errors

PASSWORD = "correct horse battery"
ADDRESS = "0x52908400098527886E0F7030069857D2E4169EE7"
KeyFactory = Callable[..., Awaitable[str]]


@dataclass(frozen=True)
class Admins:
    admin: str
    auditor: str


@pytest.fixture(scope="module")
async def admins(db_pool: asyncpg.Pool) -> Admins:
    suffix = secrets.token_hex(3)
    made = Admins(f"refunds-admin-{suffix}", f"refunds-audit-{suffix}")
    async with db_pool.acquire() as conn:
        await auth.create_user(conn, made.admin, PASSWORD, auth.Role.ADMIN)
        await auth.create_user(conn, made.auditor, PASSWORD, auth.Role.AUDITOR)
    return made


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 860},
                                        locale="en-US")
    opened = await context.new_page()
    opened.set_default_timeout(10_000)
    opened.on("dialog", lambda dialog: dialog.accept())  # the data-confirm prompts
    try:
        yield opened
    finally:
        await context.close()


@pytest.fixture
async def client(api_client: Callable[..., ApiClient], make_api_key: KeyFactory,
                 make_merchant: KeyFactory) -> ApiClient:
    return api_client(await make_api_key(await make_merchant(name="Refund Bazaar")))


async def sign_in(page: Page, url: str, username: str) -> None:
    await page.goto(url)
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")


async def audit_actions(pool: asyncpg.Pool, refund_id: str) -> list[str]:
    async with pool.acquire() as conn:
        return [r["action"] for r in await conn.fetch(
            "SELECT action FROM admin_audit_log WHERE target_id = $1 ORDER BY id", refund_id)]


async def test_admin_approves_one_refund_and_rejects_another(
        app_server: RunningApp, db_pool: asyncpg.Pool, admins: Admins, client: ApiClient,
        page: Page, browser: Browser) -> None:
    invoice = await partial_then_expired(db_pool, client, app_server.url)
    async with db_pool.acquire() as conn:
        approved, rejected = [await insert_refund(
            conn, merchant_id=invoice.merchant_id, invoice_id=invoice.invoice_id,
            amount=1_234_550, status="pending_approval", asset="BNB", units=5 * 10**15,
            address=ADDRESS, claim=False) for _ in range(2)]
        created = await conn.fetchval("SELECT created_at FROM refunds WHERE id = $1",
                                      approved.id)
    errors = watch_errors(page)
    await sign_in(page, f"{app_server.url}/admin/refunds?status=pending_approval", admins.admin)
    row = page.locator(f"tr[data-refund={approved.id}]")
    await expect(row).to_contain_text("12\u2009345.50\u00a0₸")
    await expect(row.locator("[data-testid=refund-units]")).to_have_text("0.005 BNB")
    almaty = created.astimezone(ZoneInfo("Asia/Almaty"))
    await expect(row).to_contain_text(almaty.strftime("%Y-%m-%d %H:%M:%S"))
    await row.get_by_role("button", name="Approve").click()
    await expect(page.locator(".notice")).to_have_text("Approved: the refund is being sent.")

    other = page.locator(f"tr[data-refund={rejected.id}]")
    await page.goto(f"{app_server.url}/admin/refunds?status=pending_approval")
    await other.locator("input[name=reason]").fill("duplicate of the other refund")
    await other.get_by_role("button", name="Reject").click()
    await expect(page.locator(".notice")).to_contain_text("Rejected")
    assert errors.messages == []

    async with db_pool.acquire() as conn:
        rows = {r["id"]: r for r in await conn.fetch(
            "SELECT * FROM refunds WHERE id = ANY($1::text[])", [approved.id, rejected.id])}
    assert (rows[approved.id]["status"], rows[approved.id]["decided_by"]) == (
        "sending", admins.admin)
    assert (rows[rejected.id]["status"], rows[rejected.id]["failure_reason"]) == (
        "cancelled", "duplicate of the other refund")
    assert await audit_actions(db_pool, approved.id) == ["refund.approve"]
    assert await audit_actions(db_pool, rejected.id) == ["refund.reject"]

    await page.goto(f"{app_server.url}/admin/refunds/{approved.id}")
    await expect(page.locator("h1 [data-testid=refund-status]")).to_have_text("sending")
    await expect(page.locator("[data-testid=no-handoff]")).to_be_visible()


async def test_auditor_sees_the_queue_without_buttons(
        app_server: RunningApp, db_pool: asyncpg.Pool, admins: Admins, client: ApiClient,
        page: Page) -> None:
    invoice = await partial_then_expired(db_pool, client, app_server.url)
    async with db_pool.acquire() as conn:
        waiting = await insert_refund(
            conn, merchant_id=invoice.merchant_id, invoice_id=invoice.invoice_id,
            amount=90_000, status="pending_approval", asset="BNB", units=10**15,
            address=ADDRESS, claim=False)
    await sign_in(page, f"{app_server.url}/admin/refunds", admins.auditor)
    row = page.locator(f"tr[data-refund={waiting.id}]")
    await expect(row).to_contain_text("waiting for an administrator")
    await expect(row.get_by_role("button")).to_have_count(0)
    await page.goto(f"{app_server.url}/admin/invoices/{invoice.invoice_id}")
    await expect(page.locator("[data-testid=refund-invoice]")).to_have_count(0)


async def test_invoice_refund_button_makes_a_claim_link(
        app_server: RunningApp, db_pool: asyncpg.Pool, admins: Admins, client: ApiClient,
        page: Page) -> None:
    invoice = await partial_then_expired(db_pool, client, app_server.url)
    refundable = (await client.get(f"/v1/invoices/{invoice.invoice_id}")).body[
        "amount_refundable"]
    assert 74_000 < refundable <= 75_000  # half of 1,500 KZT, valued at the locked rate
    await sign_in(page, f"{app_server.url}/admin/invoices/{invoice.invoice_id}", admins.admin)
    await expect(page.locator("[data-testid=refundable]")).to_have_text(kzt(refundable))
    await page.locator("[data-testid=refund-invoice] button").click()
    await expect(page.locator(".notice")).to_contain_text("Refund created")
    link = await page.locator("[data-testid=claim-url]").get_attribute("href")
    assert link is not None and link.startswith(f"{app_server.url}/refunds/claim/")
    refund_id = page.url.rsplit("/", 1)[1].split("?")[0]
    async with db_pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM refunds WHERE id = $1", refund_id)
    assert row is not None and (row["invoice_id"], row["amount"], row["status"]) == (
        invoice.invoice_id, refundable, "awaiting_address")
    assert await audit_actions(db_pool, refund_id) == ["refund.create"]
