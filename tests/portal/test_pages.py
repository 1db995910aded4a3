"""Portal pages with real rows: today's figures in the Almaty day, invoice search and detail,
team changes (roles, disable) by the owner only, audited; strict headers everywhere."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest

from gateway.invoices.states import InvoiceStatus
from gateway.portal import service
from gateway.portal.roles import Role
from tests.browser.support import advance
from tests.plugins.app import RunningApp
from tests.portal.support import Browserless, client, make_user

MakeMerchant = Callable[..., Awaitable[str]]


@pytest.fixture
async def shop(app_server: RunningApp, db_pool: asyncpg.Pool, make_merchant: MakeMerchant
               ) -> AsyncIterator[tuple[str, Browserless, str]]:
    """A merchant, its signed-in owner and a terminal id."""
    merchant_id = await make_merchant()
    owner = client(app_server.url)
    await owner.sign_in(await make_user(db_pool, merchant_id, Role.OWNER))
    await owner.get("/merchant/terminals")
    await owner.post("/merchant/terminals", {"name": "Till 1"})
    async with db_pool.acquire() as conn:
        terminal_id = await conn.fetchval("SELECT id FROM pos_terminals WHERE merchant_id = $1",
                                          merchant_id)
    yield merchant_id, owner, terminal_id
    await owner.http.close()


async def _charge(user: Browserless, terminal_id: str, amount: str, note: str) -> str:
    _, keypad = await user.get(f"/pos/t/{terminal_id}")
    charge_id = re.search(r'name="charge_id" value="([^"]+)"', keypad)
    assert charge_id is not None
    status, location, _ = await user.post(f"/pos/t/{terminal_id}/charge", {
        "charge_id": charge_id.group(1), "amount": amount, "note": note})
    assert status == 303, location
    return location.rsplit("/", 1)[1]


async def test_today_search_and_detail(shop: tuple[str, Browserless, str],
                                       app_server: RunningApp, db_pool: asyncpg.Pool) -> None:
    _, owner, terminal_id = shop
    paid = await _charge(owner, terminal_id, "2000", "Flat white")
    waiting = await _charge(owner, terminal_id, "350", "Tea")
    await advance(db_pool, paid, "invoice.processing", app_server.url, amount_paid=200_000,
                  status=InvoiceStatus.PROCESSING)
    await advance(db_pool, paid, "invoice.settled", app_server.url,
                  status=InvoiceStatus.SETTLED)
    _, today = await owner.get("/merchant?lang=en")
    assert "1 paid" in today and "2\u2009000.00\u00a0₸" in today  # sales
    assert "350.00\u00a0₸" in today  # still waiting
    _, found = await owner.get("/merchant/invoices?q=Flat")
    assert paid in found and waiting not in found
    _, settled = await owner.get("/merchant/invoices?status=settled")
    assert paid in settled
    status, detail = await owner.get(f"/merchant/invoices/{paid}")
    assert status == 200 and "invoice.settled" in detail and "Asia/Almaty" in detail
    _, report = await owner.get(f"/pos/t/{terminal_id}/report")
    assert re.search(r'id="report-count">1<', report)
    status, _ = await owner.get("/merchant/invoices/inv_doesnotexist000")
    assert status == 404


async def test_owner_manages_the_team_and_every_change_is_audited(
        shop: tuple[str, Browserless, str], app_server: RunningApp,
        db_pool: asyncpg.Pool) -> None:
    merchant_id, owner, _ = shop
    cashier_email = await make_user(db_pool, merchant_id, Role.CASHIER)
    cashier = client(app_server.url)
    try:
        await cashier.sign_in(cashier_email)
        assert (await cashier.get("/merchant/account"))[0] == 200
        async with db_pool.acquire() as conn:
            user_id = await conn.fetchval("SELECT id FROM merchant_users WHERE email = $1",
                                          cashier_email)
        await owner.get("/merchant/team")
        status, _, _ = await owner.post(f"/merchant/team/{user_id}/role", {"role": "manager"})
        assert status == 303
        assert (await cashier.get("/merchant/developers"))[0] == 200  # the new role at once
        status, _, _ = await owner.post(f"/merchant/team/{user_id}/disable", {})
        assert status == 303
        # Signed out: every page sends the browser to the sign-in page.
        assert (await cashier.get("/merchant/account"))[0] == 303
        async with db_pool.acquire() as conn:
            actions = [r["action"] for r in await service.audit_entries(conn, merchant_id)]
        assert actions[:2] == ["user.disable", "user.role"]
    finally:
        await cashier.http.close()


async def test_pages_carry_strict_headers(app_server: RunningApp,
                                          shop: tuple[str, Browserless, str]) -> None:
    _, owner, _ = shop
    async with owner.http.get(app_server.url + "/merchant") as resp:
        assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["X-Frame-Options"] == "DENY"
    async with owner.http.get(app_server.url + "/merchant/login") as resp:
        cookie = resp.headers.get("Set-Cookie", "")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    status, _, _ = await owner.post("/merchant/login?next=//evil.example", {})
    assert status in (401, 403)


async def test_a_refused_charge_shows_the_keypad_again_with_what_was_wrong(
        shop: tuple[str, Browserless, str], db_pool: asyncpg.Pool) -> None:
    """No amount, or a bad one: the cashier stays on the keypad (not an error page), told in
    their language what to fix; nothing is created, the same charge id stays in the form."""
    merchant_id, owner, terminal_id = shop
    _, keypad = await owner.get(f"/pos/t/{terminal_id}?lang=ru")
    charge_id = re.search(r'name="charge_id" value="([^"]+)"', keypad)
    assert charge_id is not None
    for amount, said in (("", "Введите сумму или выберите товары."),
                         ("12abc", "Введите сумму в тенге, например 1500 или 1500,50.")):
        status, _, page = await owner.post(f"/pos/t/{terminal_id}/charge", {
            "charge_id": charge_id.group(1), "amount": amount, "note": ""})
        assert status == 400
        assert f'<p class="error" role="alert">{said}</p>' in page
        assert 'id="charge-form"' in page and charge_id.group(1) in page
    _, report = await owner.get(f"/pos/t/{terminal_id}/report?lang=en")
    assert 'id="no-sales">No paid charges on this day yet.' in report
    async with db_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM invoices WHERE merchant_id = $1",
                                   merchant_id) == 0


async def test_not_found_pages_speak_the_readers_language(
        shop: tuple[str, Browserless, str]) -> None:
    _, owner, _ = shop
    for path in ("/merchant/invoices/inv_doesnotexist000", "/pos/receipt/inv_doesnotexist000",
                 "/pos/t/trm_doesnotexist000"):
        status, page = await owner.get(f"{path}?lang=kk")
        assert status == 404, path
        assert "Табылмады: бұл дүкенде мұндай бет жоқ." in page, path
