"""The point of sale's Charge in a real headless Chromium on a 360 x 740 phone: a refused
charge comes back with what the cashier typed (amount on the keypad, item counts, note) and
the reason in the cashier's language; a double tap on Charge, with and without JavaScript, and
a retry after a dropped connection each make exactly one invoice (the charge id)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import pytest
from playwright.async_api import Browser, Page, Route, expect

from gateway.portal.roles import Role
from tests.plugins.app import RunningApp
from tests.plugins.browser import PHONE_VIEWPORT, watch_errors
from tests.portal.support import PASSWORD, client, make_user

MakeMerchant = Callable[..., Awaitable[str]]


@dataclass(frozen=True)
class Shop:
    merchant_id: str
    terminal_id: str
    cashier_email: str


@pytest.fixture
async def shop(app_server: RunningApp, db_pool: asyncpg.Pool,
               make_merchant: MakeMerchant) -> Shop:
    """A merchant with one terminal, a 750 ₸ Latte and a cashier."""
    merchant_id = await make_merchant(name="Coffee Almaty")
    owner = client(app_server.url)
    try:
        await owner.sign_in(await make_user(db_pool, merchant_id, Role.OWNER))
        await owner.get("/merchant/terminals")  # picks up the session's CSRF token
        await owner.post("/merchant/terminals", {"name": "Till 1"})
        await owner.post("/merchant/items", {"name": "Latte", "price": "750"})
    finally:
        await owner.http.close()
    async with db_pool.acquire() as conn:
        terminal_id = await conn.fetchval(
            "SELECT id FROM pos_terminals WHERE merchant_id = $1", merchant_id)
    return Shop(merchant_id, terminal_id,
                await make_user(db_pool, merchant_id, Role.CASHIER))


async def _sign_in(page: Page, base: str, address: str) -> None:
    await page.goto(f"{base}/merchant/login?lang=en")
    await page.locator("input[name=email]").fill(address)
    await page.locator("input[name=password]").fill(PASSWORD)
    await page.locator("button[type=submit]").click()
    await expect(page.get_by_role("heading", name="Till 1")).to_be_visible()


@pytest.fixture
async def no_js_phone(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport=PHONE_VIEWPORT, java_script_enabled=False,
                                        locale="en-US")
    page = await context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield page
    finally:
        await context.close()


async def _invoice_amounts(pool: asyncpg.Pool, merchant_id: str) -> list[int]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT amount FROM invoices WHERE merchant_id = $1",
                                merchant_id)
    return [int(r["amount"]) for r in rows]


async def test_a_refused_charge_keeps_the_keypad(
        phone_page: Page, app_server: RunningApp, db_pool: asyncpg.Pool, shop: Shop) -> None:
    page = phone_page
    errors = watch_errors(page)
    await _sign_in(page, app_server.url, shop.cashier_email)
    await page.goto(f"{app_server.url}/pos/t/{shop.terminal_id}?lang=ru")
    charge_id = await page.locator("input[name=charge_id]").get_attribute("value")
    await page.locator("#amount").fill("12,3,4")  # typed on the phone's own keyboard
    plus = page.locator("li.item button[data-step='1']")
    await plus.click()
    await plus.click()
    await page.locator("input[name=note]").fill("столик 4")
    await page.locator("#charge").click()

    await expect(page.get_by_role("alert")).to_contain_text("Введите сумму в тенге")
    await expect(page.locator("#amount")).to_have_value("12,3,4")
    await expect(page.locator("input.qty")).to_have_value("2")
    await expect(page.locator("input[name=note]")).to_have_value("столик 4")
    await expect(page.locator("input[name=charge_id]")).to_have_value(charge_id or "")
    await expect(page.locator("#charge-total")).to_have_text("1\u2009500,00\u00a0₸")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the refused keypad scrolls sideways ({width} px)"

    await page.locator("#amount").fill("")
    for key in ("1", "2"):
        await page.locator(f"button.key[data-key='{key}']").click()
    await expect(page.locator("#charge-total")).to_have_text("1\u2009512,00\u00a0₸")
    await page.locator("#charge").click()
    await expect(page.locator("#amount-kzt")).to_have_text("1\u2009512,00\u00a0₸")
    assert await _invoice_amounts(db_pool, shop.merchant_id) == [151_200]
    # The refusal's own 400 is the one message the console may show.
    assert [m for m in errors.messages if "status of 400" not in m] == []


async def _charge_page(page: Page, base: str, terminal_id: str) -> None:
    await page.goto(f"{base}/pos/t/{terminal_id}?lang=en")
    await page.locator("#amount").fill("500")


async def test_a_double_tap_on_charge_makes_one_invoice(
        phone_page: Page, app_server: RunningApp, db_pool: asyncpg.Pool, shop: Shop) -> None:
    page = phone_page
    errors = watch_errors(page)
    await _sign_in(page, app_server.url, shop.cashier_email)
    await _charge_page(page, app_server.url, shop.terminal_id)
    await page.locator("#charge").dblclick()
    await expect(page.locator("#amount-kzt")).to_have_text("500.00\u00a0₸")
    assert await _invoice_amounts(db_pool, shop.merchant_id) == [50_000]
    assert errors.messages == []


async def test_a_double_tap_without_javascript_makes_one_invoice(
        no_js_phone: Page, app_server: RunningApp, db_pool: asyncpg.Pool, shop: Shop) -> None:
    """No script disables the button here: whatever the browser sends of the two taps, the
    charge id keeps it one invoice."""
    page = no_js_phone
    await _sign_in(page, app_server.url, shop.cashier_email)
    await _charge_page(page, app_server.url, shop.terminal_id)
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url)
            if request.method == "POST" else None)
    await page.locator("#charge").dblclick()
    await expect(page.locator("#amount-kzt")).to_have_text("500.00\u00a0₸")
    assert posts, "the charge was never sent"
    assert await _invoice_amounts(db_pool, shop.merchant_id) == [50_000]


async def test_a_retry_after_a_dropped_connection_makes_one_invoice(
        phone_page: Page, app_server: RunningApp, db_pool: asyncpg.Pool, shop: Shop) -> None:
    """The first Charge reaches the server (the invoice is made) but its answer is lost: the
    phone shows its error page. The cashier either reloads it (the browser sends the same form
    again) or goes back to the keypad, types the amount again and taps Charge: both find the
    invoice the first tap made; coming back with another amount is a new sale."""
    page = phone_page
    errors = watch_errors(page)
    await _sign_in(page, app_server.url, shop.cashier_email)
    dropped: list[str] = []

    async def drop_the_first_answer(route: Route) -> None:
        if dropped:
            await route.continue_()
            return
        await route.fetch(max_redirects=0)  # the server makes the invoice...
        dropped.append(route.request.url)
        await route.abort("connectionreset")  # ...and the phone never hears back

    async def charge_and_lose_the_answer() -> None:
        dropped.clear()
        await _charge_page(page, app_server.url, shop.terminal_id)
        async with page.expect_event("requestfailed"):
            await page.locator("#charge").click()
        await page.wait_for_url(lambda url: url.startswith("chrome-error:"))
        assert len(dropped) == 1

    await page.route("**/charge", drop_the_first_answer)
    await charge_and_lose_the_answer()
    assert await _invoice_amounts(db_pool, shop.merchant_id) == [50_000]
    await page.reload()
    await expect(page.locator("#amount-kzt")).to_have_text("500.00\u00a0₸")
    assert await _invoice_amounts(db_pool, shop.merchant_id) == [50_000]

    await charge_and_lose_the_answer()
    assert await _invoice_amounts(db_pool, shop.merchant_id) == [50_000] * 2
    await page.go_back()
    await page.locator("#amount").fill("500")
    await page.locator("#charge").click()
    await expect(page.locator("#amount-kzt")).to_have_text("500.00\u00a0₸")
    assert await _invoice_amounts(db_pool, shop.merchant_id) == [50_000] * 2

    await _charge_page(page, app_server.url, shop.terminal_id)  # the next sale: a new one
    await page.locator("#charge").click()
    await expect(page.locator("#amount-kzt")).to_have_text("500.00\u00a0₸")
    assert await _invoice_amounts(db_pool, shop.merchant_id) == [50_000] * 3

    # Lost again, but the cashier comes back with another amount: not a retry of the lost
    # charge (whose invoice asks 500 ₸), a new sale for what was typed now.
    await charge_and_lose_the_answer()
    assert await _invoice_amounts(db_pool, shop.merchant_id) == [50_000] * 4
    await page.go_back()
    await page.locator("#amount").fill("700")
    await page.locator("#charge").click()
    await expect(page.locator("#amount-kzt")).to_have_text("700.00\u00a0₸")
    assert sorted(await _invoice_amounts(db_pool, shop.merchant_id)) == [50_000] * 4 + [70_000]
    assert [m for m in errors.messages if "ERR_CONNECTION_RESET" not in m] == []
