"""Zone administrators use the console in a real headless Chromium against the real app.

The module's app runs with a settlement cut-off placed right after the payee merchant's
bookings (so "yesterday's" business day is over and holds them, without waiting for
midnight), a lockout of 3 attempts, and chain RPC URLs on closed ports (reconciliation then
lists fetch errors quickly instead of reaching for a node). Screenshots go to docs/img/ for
the user guide.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
import pytest
from lxml import etree
from playwright.async_api import Browser, Page, expect

from gateway.admin import auth
from gateway.chains.models import DetectedTransfer
from gateway.config import AdminSettings, SettlementSettings
from gateway.invoices.states import InvoiceStatus
from gateway.merchants import service as merchants
from gateway.merchants.ids import new_id
from gateway.transfers.store import record_transfers
from settlement.db import Conn
from settlement.invoice_booking import book_settlement
from settlement.payouts.bin import make_bin
from settlement.payouts.iban import make_kz_iban
from tests.browser.support import advance
from tests.plugins.app import RunningApp, free_port, running_app, settings_for_tests
from tests.plugins.browser import watch_errors

PASSWORD = "correct horse battery"
PAIN001 = "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.09}Document"
ZONE = "Asia/Almaty"


@dataclass(frozen=True)
class Console:
    server: RunningApp
    admin: str
    auditor: str
    approver: str  # the second admin of four-eyes approvals
    payee_id: str  # a merchant with settled sales before the cut-off
    day: date  # the business day that holds them


def bank_details() -> dict[str, str]:
    return {"bin": make_bin("99034000001"),
            "iban": make_kz_iban("722", f"KZT{secrets.randbelow(10**10):010d}"),
            "bic": "CASPKZKA"}


async def _book_sales(conn: Conn, merchant_id: str) -> None:
    at = await conn.fetchval("SELECT now()")
    for received, gross in (({"bsc:USDT": 500 * 10**18}, 25_000_000),
                            ({"solana:SOL": 2 * 10**9}, 15_000_000)):
        await book_settlement(conn, invoice_id=new_id("inv"), merchant_id=merchant_id,
                              received=received, kzt_gross=gross, at=at)


@pytest.fixture(scope="module")
async def console(database_url: str, db_pool: asyncpg.Pool,
                  tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Console]:
    suffix = secrets.token_hex(3)
    async with db_pool.acquire() as conn:
        bank = bank_details()
        payee = await merchants.create_merchant(conn, merchants.MerchantInput(
            name=f"Zhuldyz Coffee {suffix}", bin=bank["bin"], iban=bank["iban"],
            bic=bank["bic"], fee_bps=150))
        await _book_sales(conn, payee.id)
        instant = (await conn.fetchval("SELECT clock_timestamp()")).astimezone(ZoneInfo(ZONE))
        admin, auditor = f"aigerim-{suffix}", f"audit-{suffix}"
        approver = f"dana-{suffix}"
        await auth.create_user(conn, admin, PASSWORD, auth.Role.ADMIN)
        await auth.create_user(conn, approver, PASSWORD, auth.Role.ADMIN)
        await auth.create_user(conn, auditor, PASSWORD, auth.Role.AUDITOR)
    cutoff = time(instant.hour, instant.minute, instant.second, instant.microsecond)
    settings = settings_for_tests(
        database_url, tmp_path_factory.mktemp("admin-console"),
        admin=AdminSettings(lockout_attempts=3),
        settlement=SettlementSettings(zone=ZONE, cutoff=cutoff, rpc_timeout=2),
        bsc_rpc_url=f"http://127.0.0.1:{free_port()}",
        solana_rpc_url=f"http://127.0.0.1:{free_port()}")
    async with running_app(settings) as server:
        yield Console(server, admin, auditor, approver, payee.id, instant.date())


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 860},
                                        accept_downloads=True, locale="en-US")
    opened = await context.new_page()
    opened.set_default_timeout(10_000)
    opened.on("dialog", lambda dialog: dialog.accept())  # the data-confirm prompts
    try:
        yield opened
    finally:
        await context.close()


async def sign_in(page: Page, console: Console, username: str,
                  password: str = PASSWORD) -> None:
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")


async def download(page: Page, selector: str) -> bytes:
    async with page.expect_download() as info:
        await page.click(selector)
    saved = await (await info.value).path()
    return Path(saved).read_bytes()


async def approve_as_second_admin(page: Page, console: Console) -> None:
    """Four eyes: the other admin signs in on the Approvals page and approves the newest
    pending request; then the first admin is back on the page the approval led to."""
    await page.click("form[action='/admin/logout'] button")
    await page.goto(f"{console.server.url}/admin/approvals")
    await sign_in(page, console, console.approver)
    await page.locator("[data-testid=approvals] tr", has_text="pending").first.locator(
        "text=Approve").click()
    await expect(page.locator(".notice").first).to_be_visible()
    landing = page.url
    await page.click("form[action='/admin/logout'] button")
    await page.goto(landing)
    await sign_in(page, console, console.admin)


async def create_merchant(page: Page, name: str) -> str:
    await page.click("text=New merchant")
    details = bank_details()
    await page.fill("#f-name", name)
    await page.fill("#f-bin", details["bin"])
    await page.fill("#f-iban", details["iban"])
    await page.fill("#f-bic", details["bic"])
    await page.fill("#f-fee-bps", "120")
    await page.click("text=Create merchant")
    await expect(page.locator(".notice")).to_contain_text("Merchant created")
    match = re.search(r"/admin/merchants/(mch_\w+)", page.url)
    assert match, page.url
    return match.group(1)


async def create_paid_invoice(console: Console, pool: asyncpg.Pool, key: str,
                              order_id: str) -> str:
    """An invoice made with the key the console issued, then paid and settled the way the
    watchers and the lifecycle record it (a transfer, the transitions, the booking)."""
    async with aiohttp.ClientSession() as http, http.post(
            f"{console.server.url}/v1/invoices", headers={
                "Authorization": f"Bearer {key}", "Idempotency-Key": secrets.token_hex(8)},
            json={"amount": 150_000, "currency": "KZT", "order_id": order_id,
                  "description": "2 lattes", "assets": ["USDT_BSC"]}) as response:
        body = await response.json()
        assert response.status == 200, body
    invoice_id: str = body["id"]
    option = body["payment_options"][0]
    units = int(option["amount_units"])
    async with pool.acquire() as conn:
        await record_transfers(conn, "bsc", [DetectedTransfer(
            "bsc", "0x" + secrets.token_hex(32), 3, 1_234, "0x" + secrets.token_hex(32), None,
            "USDT_BSC", option["token"], "0x" + "11" * 20, option["address"], units,
            invoice_id)])
    public = console.server.url
    await advance(pool, invoice_id, "invoice.processing", public,
                  status=InvoiceStatus.PROCESSING, amount_paid=150_000)
    await advance(pool, invoice_id, "invoice.settled", public, status=InvoiceStatus.SETTLED)
    async with pool.acquire() as conn:
        merchant_id = await conn.fetchval("SELECT merchant_id FROM invoices WHERE id = $1",
                                          invoice_id)
        await book_settlement(conn, invoice_id=invoice_id, merchant_id=merchant_id,
                              received={"bsc:USDT": units}, kzt_gross=150_000,
                              at=await conn.fetchval("SELECT now()"))
    return invoice_id


async def test_admin_runs_the_zone(console: Console, page: Page, db_pool: asyncpg.Pool,
                                   screenshot_dir: Path) -> None:
    errors = watch_errors(page)
    url = console.server.url
    await page.goto(f"{url}/admin")
    await expect(page.locator("h1")).to_have_text("Zone console sign-in")
    await page.screenshot(path=str(screenshot_dir / "admin-login.png"))
    await sign_in(page, console, console.admin)
    await expect(page.locator("[data-testid=whoami]")).to_contain_text(console.admin)

    # A merchant; its name comes back as the same text (escaped, never markup).
    name = f'Café "Alatau" & Sons <{secrets.token_hex(2)}>'
    merchant_id = await create_merchant(page, name)
    await expect(page.locator("h1")).to_contain_text(name)
    await page.fill("#f-fee-bps", "175")
    await page.click("text=Save changes")
    await expect(page.locator(".notice")).to_contain_text("saved")
    await expect(page.locator("dl.facts")).to_contain_text("1.75")

    await page.click("text=Issue new API key")
    secret = (await page.locator("#new-key-secret").inner_text()).strip()
    assert secret.startswith("ccp_live_")
    await page.screenshot(path=str(screenshot_dir / "admin-merchant-key.png"), full_page=True)
    await page.goto(f"{url}/admin/merchants/{merchant_id}")  # shown once: now only a prefix
    await expect(page.locator("table").first).to_contain_text(secret[:13])
    assert await page.locator("#new-key-secret").count() == 0

    order_id = f"ORD-{secrets.token_hex(4)}"
    invoice_id = await create_paid_invoice(console, db_pool, secret, order_id)

    await page.click("nav >> text=Invoices")
    await page.fill("input[name=order_id]", order_id)
    await page.click("[data-testid=invoice-search] button")
    await page.click(f"text={invoice_id}")
    await expect(page.locator("h1")).to_contain_text("settled")
    await expect(page.locator("[data-testid=transfers]")).to_contain_text("USDT · BNB Chain")
    await expect(page.locator("[data-testid=events]")).to_contain_text("invoice.settled")
    await expect(page.locator("[data-testid=ledger-entry]")).to_contain_text(
        f"merchant_payable:{merchant_id}")
    await page.screenshot(path=str(screenshot_dir / "admin-invoice.png"), full_page=True)

    # Settlement: close the payee's business day, export pain.001, mark it paid.
    await page.click("nav >> text=Settlement batches")
    await page.fill("[data-testid=close-form] input[name=day]", console.day.isoformat())
    await page.fill("[data-testid=close-form] input[name=merchant_id]", console.payee_id)
    await page.click("text=Close business day")
    await expect(page.locator(".notice")).to_contain_text("1 batch(es) to pay")
    row = page.locator("tr", has_text=console.payee_id).filter(has_text="closed")
    await row.locator("input[type=checkbox]").check()
    await page.click("text=Export selected as pain.001")
    await expect(page.locator(".notice")).to_contain_text("second administrator")
    await approve_as_second_admin(page, console)
    await expect(page.locator("[data-testid=exported]")).to_be_visible()
    xml = await download(page, "[data-testid=download-pain001]")
    document = etree.fromstring(xml)
    assert document.tag == PAIN001
    ns = {"p": PAIN001[1:].partition("}")[0]}
    assert document.xpath("string(//p:Cdtr/p:Nm)", namespaces=ns).startswith("Zhuldyz Coffee")
    exported = page.locator("tr", has_text=console.payee_id).filter(has_text="exported")
    await exported.locator("input[name=bank_reference]").first.fill("HSBK-20240611-7")
    await exported.locator("text=Mark paid").click()
    await expect(page.locator(".notice")).to_contain_text("second administrator")
    await approve_as_second_admin(page, console)
    await expect(page.locator(".notice")).to_contain_text("Approved")
    await page.click("nav >> text=Settlement batches")
    await expect(page.locator("tr", has_text=console.payee_id).filter(has_text="paid")
                 ).to_be_visible()
    await page.screenshot(path=str(screenshot_dir / "admin-batches.png"), full_page=True)

    # Reports: the chart, then CSV and PDF downloads.
    day = console.day.isoformat()
    await page.goto(f"{url}/admin/reports?from={day}&to={day}&merchant_id={console.payee_id}")
    assert await page.locator("[data-testid=volume-chart] svg rect[data-asset]").count() >= 2
    # The page reads like money (the downloads keep the plain figures).
    # (The summary is the whole zone's: other tests' merchants may add to its figures.)
    summary = page.locator("[data-testid=summary]")
    await expect(summary).to_contain_text(re.compile(r"\d USDT"))
    await expect(summary).to_contain_text(re.compile("\\d\u2009\\d{3}\\.\\d\\d\u00a0₸"))
    await expect(summary).not_to_contain_text("000000000000000")  # no base units
    await expect(page.locator("[data-testid=statement]")).to_contain_text(
        "400\u2009000.00\u00a0₸")
    summary_csv = (await download(page, "[data-testid=summary-csv]")).decode()
    assert next(csv.reader(io.StringIO(summary_csv)))[:3] == ["day", "chain", "asset"]
    assert (await download(page, "[data-testid=summary-pdf]")).startswith(b"%PDF")
    statement_csv = (await download(page, "[data-testid=statement-csv]")).decode()
    assert statement_csv.startswith("line,count,KZT")
    assert (await download(page, "[data-testid=statement-pdf]")).startswith(b"%PDF")
    await page.screenshot(path=str(screenshot_dir / "admin-reports.png"), full_page=True)

    await page.click("nav >> text=Reconciliation")
    await page.click("text=Run reconciliation now")
    await expect(page.locator("h1")).to_contain_text("Reconciliation run")

    await page.click("nav >> text=Audit log")
    log = page.locator("[data-testid=audit-log]")
    for action in ("auth.login", "merchant.create", "merchant.update", "api_key.issue",
                   "batch.close_day", "approval.request", "approval.approve",
                   "payout_file.export", "payout_file.download", "batch.paid",
                   "reconciliation.run"):
        await expect(log).to_contain_text(action)
    await expect(log).not_to_contain_text(secret)  # the key itself is never logged
    await page.screenshot(path=str(screenshot_dir / "admin-audit.png"))
    assert errors.messages == []  # no CSP violation, no script error


async def test_unmatched_payment_is_assigned(console: Console, page: Page,
                                            db_pool: asyncpg.Pool) -> None:
    """The old unmatched-payments page's address leads to the exceptions queue, where the
    payment is assigned to an invoice."""
    tx = "0x" + secrets.token_hex(32)
    async with db_pool.acquire() as conn:
        await record_transfers(conn, "bsc", [DetectedTransfer(
            "bsc", tx, -1, 77, "0x" + secrets.token_hex(32), None, "BNB", None,
            "0x" + "22" * 20, "0x" + secrets.token_hex(20), 10**16, None)])
        invoice_id = await conn.fetchval("SELECT id FROM invoices ORDER BY created_at DESC "
                                         "LIMIT 1")
    await page.goto(f"{console.server.url}/admin/unmatched")
    await sign_in(page, console, console.admin)
    await page.goto(f"{console.server.url}/admin/unmatched")
    assert page.url.endswith("/admin/exceptions?decided=false")
    await page.goto(f"{console.server.url}/admin/exceptions?kind=unmatched&decided=false")
    row = page.locator("tr", has_text=tx)
    while not await row.count():  # oldest first: the new payment may be pages away
        await page.click("[data-testid=next-page]")
    await row.locator("input[name=invoice_id]").fill(invoice_id)
    await row.locator("text=Assign").click()
    await expect(page.locator(".notice")).to_contain_text("assigned")
    await page.goto(f"{console.server.url}/admin/unmatched?all=1")
    assert page.url.endswith("/admin/exceptions")
    # The invoice now lists the payment (credited, or kept with the decision if it could
    # take no more).
    await page.goto(f"{console.server.url}/admin/invoices/{invoice_id}")
    await expect(page.locator("body")).to_contain_text(tx)


async def test_auditor_reads_but_cannot_change(console: Console, page: Page,
                                               db_pool: asyncpg.Pool,
                                               screenshot_dir: Path) -> None:
    url = console.server.url
    await page.goto(f"{url}/admin/merchants/{console.payee_id}")
    await sign_in(page, console, console.auditor)
    await expect(page.locator(".readonly")).to_be_visible()
    assert await page.locator("text=Issue new API key").count() == 0
    assert await page.locator("form[action$='/status']").count() == 0
    token = await page.locator("form[action='/admin/logout'] input[name=csrf_token]"
                               ).get_attribute("value")
    assert token
    # The buttons are hidden, but the server is the control: valid token, wrong role.
    for path, form in ((f"/admin/merchants/{console.payee_id}/keys", {}),
                       (f"/admin/merchants/{console.payee_id}/status", {"status": "suspended"}),
                       ("/admin/batches/close", {"day": console.day.isoformat()})):
        refused = await page.request.post(f"{url}{path}", form={"csrf_token": token, **form},
                                          max_redirects=0)
        assert refused.status == 403, path
    async with db_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM api_keys WHERE merchant_id = $1",
                                   console.payee_id) == 0
        assert await conn.fetchval("SELECT status FROM merchants WHERE id = $1",
                                   console.payee_id) == "active"
    await page.goto(f"{url}/admin/batches")
    await page.screenshot(path=str(screenshot_dir / "admin-auditor.png"))


async def test_form_post_without_csrf_token_is_refused(console: Console, page: Page,
                                                       db_pool: asyncpg.Pool) -> None:
    await page.goto(f"{console.server.url}/admin/merchants")
    await sign_in(page, console, console.admin)
    refused = await page.request.post(
        f"{console.server.url}/admin/merchants/{console.payee_id}/keys", form={},
        max_redirects=0)
    assert refused.status == 403
    assert "security token" in await refused.text()
    async with db_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM api_keys WHERE merchant_id = $1",
                                   console.payee_id) == 0


async def test_wrong_passwords_lock_the_account(console: Console, page: Page,
                                                db_pool: asyncpg.Pool) -> None:
    name = f"locked-{secrets.token_hex(3)}"
    async with db_pool.acquire() as conn:
        await auth.create_user(conn, name, PASSWORD, auth.Role.ADMIN)
    await page.goto(f"{console.server.url}/admin/login")
    # Wrong, locked and unknown all read the same: the page does not tell which names exist.
    for _ in range(3):
        await sign_in(page, console, name, "not the password")
        await expect(page.locator(".error")).to_have_text(auth.BAD_LOGIN)
    await sign_in(page, console, name)  # the right password no longer helps
    await expect(page.locator(".error")).to_have_text(auth.BAD_LOGIN)
    assert "/admin/login" in page.url
    await sign_in(page, console, f"nobody-{secrets.token_hex(3)}", "not the password")
    await expect(page.locator(".error")).to_have_text(auth.BAD_LOGIN)
    async with db_pool.acquire() as conn:
        assert await conn.fetchval(
            "SELECT locked_until > now() FROM admin_users WHERE username = $1", name)
