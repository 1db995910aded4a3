"""The portal over HTTP against the real app: pages per role (403 with nothing of the page
for a role without the permission, and nothing changes), CSRF on every form, API keys shown
once, an idempotent POS charge, the statement CSV and the languages."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest

from gateway.portal.roles import Role
from tests.plugins.app import ApiClient, RunningApp
from tests.portal.support import Browserless, client, make_user

MakeMerchant = Callable[..., Awaitable[str]]
PAGES = ("/merchant", "/merchant/invoices", "/merchant/refunds", "/merchant/payouts",
         "/merchant/developers",
         "/merchant/team", "/merchant/audit", "/merchant/terminals", "/merchant/settings",
         "/pos")
ALLOWED = {
    Role.OWNER: set(PAGES),
    Role.MANAGER: {"/merchant", "/merchant/invoices", "/merchant/refunds", "/merchant/payouts",
                   "/merchant/developers", "/merchant/terminals", "/merchant/settings", "/pos"},
    Role.ACCOUNTANT: {"/merchant", "/merchant/invoices", "/merchant/refunds",
                      "/merchant/payouts", "/merchant/audit"},
    Role.CASHIER: {"/pos"},
}


@pytest.fixture
async def signed_in(app_server: RunningApp, db_pool: asyncpg.Pool,
                    make_merchant: MakeMerchant
                    ) -> AsyncIterator[Callable[[Role, str | None], Awaitable[Browserless]]]:
    made: list[Browserless] = []

    async def make(role: Role, merchant_id: str | None = None) -> Browserless:
        user = client(app_server.url)
        made.append(user)
        address = await make_user(db_pool, merchant_id or await make_merchant(), role)
        status, location, _ = await user.sign_in(address)
        assert status == 303, location
        await user.get("/merchant/account")  # picks up the session's CSRF token
        return user

    yield make
    for user in made:
        await user.http.close()


async def _key_count(pool: asyncpg.Pool, merchant_id: str) -> int:
    async with pool.acquire() as conn:
        count: int = await conn.fetchval("SELECT count(*) FROM api_keys WHERE merchant_id = $1",
                                         merchant_id)
    return count


@pytest.mark.parametrize("role", list(Role))
async def test_every_page_checks_the_role_on_the_server(signed_in: Callable[..., Awaitable[
        Browserless]], role: Role) -> None:
    user = await signed_in(role)
    for path in PAGES:
        status, body = await user.get(path)
        if path == "/merchant" and role is Role.CASHIER:
            assert status == 303  # a cashier's home is the point of sale
        elif path in ALLOWED[role]:
            assert status == 200, (role, path)
        else:
            assert status == 403, (role, path)
            assert "ccp_live_" not in body and "<table" not in body


async def test_cashier_cannot_create_keys_and_nothing_changes(
        signed_in: Callable[..., Awaitable[Browserless]], db_pool: asyncpg.Pool,
        make_merchant: MakeMerchant) -> None:
    merchant_id = await make_merchant()
    cashier = await signed_in(Role.CASHIER, merchant_id)
    status, _, body = await cashier.post("/merchant/developers/keys", {})
    assert status == 403 and "ccp_live_" not in body
    status, _, _ = await cashier.post("/merchant/team/invite",
                                      {"email": "x@shop.example", "role": "owner"})
    assert status == 403
    assert await _key_count(db_pool, merchant_id) == 0


async def test_forms_need_the_session_csrf_token(signed_in: Callable[..., Awaitable[
        Browserless]], db_pool: asyncpg.Pool, make_merchant: MakeMerchant) -> None:
    merchant_id = await make_merchant()
    owner = await signed_in(Role.OWNER, merchant_id)
    status, _, _ = await owner.post("/merchant/developers/keys", {}, csrf=False)
    assert status == 403
    status, _, _ = await owner.post("/merchant/developers/keys", {"csrf_token": "x" * 43},
                                    csrf=False)
    assert status == 403
    assert await _key_count(db_pool, merchant_id) == 0
    status, _, body = await owner.post("/merchant/developers/keys", {})
    assert status == 200
    secret = re.search(r"ccp_live_[A-Za-z0-9]{40}", body)
    assert secret is not None and await _key_count(db_pool, merchant_id) == 1
    _, again = await owner.get("/merchant/developers")
    assert secret.group(0) not in again  # shown once


async def test_pos_charge_is_idempotent_per_charge_id(
        signed_in: Callable[..., Awaitable[Browserless]], db_pool: asyncpg.Pool,
        make_merchant: MakeMerchant) -> None:
    merchant_id = await make_merchant()
    owner = await signed_in(Role.OWNER, merchant_id)
    await owner.post("/merchant/terminals", {"name": "Till 1"})
    cashier = await signed_in(Role.CASHIER, merchant_id)
    status, keypad = await cashier.get("/pos")
    assert status == 303
    _, _ = await cashier.get("/pos")
    async with db_pool.acquire() as conn:
        terminal_id = await conn.fetchval("SELECT id FROM pos_terminals WHERE merchant_id = $1",
                                          merchant_id)
    _, keypad = await cashier.get(f"/pos/t/{terminal_id}")
    charge_id = re.search(r'name="charge_id" value="([^"]+)"', keypad)
    assert charge_id is not None
    form = {"charge_id": charge_id.group(1), "amount": "1 500,50"}
    answers = await asyncio.gather(*[cashier.post(f"/pos/t/{terminal_id}/charge", form)
                                     for _ in range(3)])
    locations = {location for status, location, _ in answers if status == 303}
    assert len(locations) == 1, answers
    invoice_id = locations.pop().rsplit("/", 1)[1]
    async with db_pool.acquire() as conn:
        rows = await conn.fetch("SELECT amount FROM invoices WHERE merchant_id = $1",
                                merchant_id)
    assert [r["amount"] for r in rows] == [150_050]
    status, view = await cashier.get(f"/pos/charge/{invoice_id}")
    assert status == 200 and "/qr/" in view and f"/pay/{invoice_id}/events" in view
    status, _ = await cashier.get(f"/pos/t/{terminal_id}/report")
    assert status == 200
    status, _ = await cashier.get(f"/merchant/invoices/{invoice_id}")
    assert status == 403


async def test_statement_csv_and_languages(signed_in: Callable[..., Awaitable[Browserless]]
                                           ) -> None:
    accountant = await signed_in(Role.ACCOUNTANT)
    status, body = await accountant.get(
        "/merchant/payouts/statement.csv?from=2026-01-01&to=2026-01-31")
    assert status == 200 and body.startswith("line,count,KZT")
    assert "closing payable" in body
    async with accountant.http.get(accountant.base + "/merchant/payouts/statement.pdf"
                                   "?from=2026-01-01&to=2026-01-31") as resp:
        assert resp.status == 200 and (await resp.read()).startswith(b"%PDF")
    for lang, word in (("kk", "Бүгін"), ("ru", "Сегодня"), ("en", "Today")):
        status, page = await accountant.get(f"/merchant?lang={lang}")
        assert status == 200 and f'<html lang="{lang}">' in page and word in page


async def test_items_are_priced_on_the_server(signed_in: Callable[..., Awaitable[Browserless]],
                                              db_pool: asyncpg.Pool,
                                              make_merchant: MakeMerchant) -> None:
    merchant_id = await make_merchant()
    manager = await signed_in(Role.MANAGER, merchant_id)
    await manager.post("/merchant/terminals", {"name": "Terrace"})
    status, _, _ = await manager.post("/merchant/items", {"name": "Latte", "price": "750"})
    assert status == 303
    async with db_pool.acquire() as conn:
        terminal_id = await conn.fetchval("SELECT id FROM pos_terminals WHERE merchant_id = $1",
                                          merchant_id)
        item_id = await conn.fetchval("SELECT id FROM pos_items WHERE merchant_id = $1",
                                      merchant_id)
    charge = {"charge_id": "c" * 24, "amount": "", f"qty_{item_id}": "2", "price": "1"}
    status, location, _ = await manager.post(f"/pos/t/{terminal_id}/charge", charge)
    assert status == 303, location
    bogus = {"charge_id": "d" * 24, "amount": "", "qty_itm_000000000000": "1"}
    status, _, _ = await manager.post(f"/pos/t/{terminal_id}/charge", bogus)
    assert status == 400
    async with db_pool.acquire() as conn:
        rows = await conn.fetch("SELECT amount, description FROM invoices WHERE merchant_id = $1",
                                merchant_id)
    assert [(r["amount"], r["description"]) for r in rows] == [(150_000, "2 × Latte")]


async def test_a_refused_charge_keeps_what_was_typed(
        signed_in: Callable[..., Awaitable[Browserless]], db_pool: asyncpg.Pool,
        make_merchant: MakeMerchant) -> None:
    """A plain form post (no JavaScript): the refused keypad comes back in the cashier's
    language with the same charge id and the amount, counts and note as typed; the corrected
    charge then makes the one invoice."""
    merchant_id = await make_merchant()
    manager = await signed_in(Role.MANAGER, merchant_id)
    await manager.post("/merchant/terminals", {"name": "Till 1"})
    await manager.post("/merchant/items", {"name": "Latte", "price": "750"})
    async with db_pool.acquire() as conn:
        terminal_id = await conn.fetchval("SELECT id FROM pos_terminals WHERE merchant_id = $1",
                                          merchant_id)
        item_id = await conn.fetchval("SELECT id FROM pos_items WHERE merchant_id = $1",
                                      merchant_id)
    await manager.get(f"/pos/t/{terminal_id}?lang=ru")  # the cashier's language
    charge_id = "k" * 24
    typed = {"charge_id": charge_id, "amount": "12,3,4", f"qty_{item_id}": "2",
             "note": "столик <4>"}
    status, _, page = await manager.post(f"/pos/t/{terminal_id}/charge", typed)
    assert status == 400
    assert "Введите сумму в тенге" in page
    assert f'name="charge_id" value="{charge_id}"' in page
    assert 'name="amount" value="12,3,4"' in page
    assert f'name="qty_{item_id}" value="2"' in page
    assert 'name="note" value="столик &lt;4&gt;"' in page
    nothing = {"charge_id": charge_id, "amount": "", f"qty_{item_id}": "0", "note": "ok"}
    status, _, page = await manager.post(f"/pos/t/{terminal_id}/charge", nothing)
    assert status == 400 and "Введите сумму или выберите товары" in page
    assert f'name="charge_id" value="{charge_id}"' in page and 'value="ok"' in page
    status, location, _ = await manager.post(f"/pos/t/{terminal_id}/charge",
                                             {**typed, "amount": "12,34"})
    assert status == 303, location
    async with db_pool.acquire() as conn:
        rows = await conn.fetch("SELECT amount FROM invoices WHERE merchant_id = $1",
                                merchant_id)
    assert [r["amount"] for r in rows] == [150_000 + 1_234]


async def test_delivery_log_and_redeliver(signed_in: Callable[..., Awaitable[Browserless]],
                                          db_pool: asyncpg.Pool, make_merchant: MakeMerchant,
                                          make_api_key: Callable[..., Awaitable[str]],
                                          api_client: Callable[..., ApiClient]) -> None:
    merchant_id = await make_merchant()
    api = api_client(await make_api_key(merchant_id))
    hook = await api.post("/v1/webhook_endpoints",
                          {"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]})
    assert hook.status == 200, hook.body
    created = await api.post("/v1/invoices", {"amount": 10_000, "currency": "KZT"})
    assert created.status == 200, created.body
    events = await api.get("/v1/events")
    first = events.body["data"][0]["id"]
    # The shared app runs no webhook worker (no fan-out): a redelivery writes the first row.
    assert (await api.post(f"/v1/events/{first}/redeliver", {})).status == 200
    manager = await signed_in(Role.MANAGER, merchant_id)
    status, page = await manager.get("/merchant/developers")
    assert status == 200 and "invoice.created" in page and "http://127.0.0.1:9/hook" in page
    event_id = re.search(r"/merchant/developers/events/(evt_\w+)/redeliver", page)
    assert event_id is not None
    status, _, _ = await manager.post(
        f"/merchant/developers/events/{event_id.group(1)}/redeliver", {})
    assert status == 303
    async with db_pool.acquire() as conn:
        count = await conn.fetchval("SELECT count(*) FROM webhook_deliveries WHERE event_id = $1",
                                    event_id.group(1))
    assert count == 2
    accountant = await signed_in(Role.ACCOUNTANT, merchant_id)
    status, _, _ = await accountant.post(
        f"/merchant/developers/events/{event_id.group(1)}/redeliver", {})
    assert status == 403


async def test_settings_apply_to_api_invoices(signed_in: Callable[..., Awaitable[Browserless]],
                                              db_pool: asyncpg.Pool,
                                              make_merchant: MakeMerchant,
                                              make_api_key: Callable[..., Awaitable[str]],
                                              api_client: Callable[..., ApiClient]) -> None:
    merchant_id = await make_merchant()
    cashier = await signed_in(Role.CASHIER, merchant_id)
    form = {"asset": "SOL", "expires_min": "10", "tolerance_bps": "50", "tolerance_kzt": "",
            "late_min": "5", "redirect_domains": "coffee.kz"}
    status, _, _ = await cashier.post("/merchant/settings", form)
    assert status == 403
    manager = await signed_in(Role.MANAGER, merchant_id)
    async with manager.http.post(manager.base + "/merchant/settings", data=[
            ("csrf_token", manager.csrf), ("asset", "SOL"), ("asset", "USDT_SOL"),
            ("expires_min", "10"), ("tolerance_bps", "50"), ("tolerance_kzt", "1,50"),
            ("late_min", "5"), ("redirect_domains", "coffee.kz\n*.coffee.kz")]) as resp:
        assert resp.status == 200, await resp.text()
    api = api_client(await make_api_key(merchant_id))  # a new key: no cached principal
    created = await api.post("/v1/invoices", {"amount": 10_000,
                                              "redirect_url": "https://shop.coffee.kz/done"})
    assert created.status == 200, created.body
    body = created.body
    assert [o["asset_id"] for o in body["payment_options"]] == ["SOL", "USDT_SOL"]
    assert body["expires_at"] is not None
    assert body["payment_tolerance"] == {"bps": 50, "amount": 150}
    assert body["late_payment_window"] == 300
    refused = await api.post("/v1/invoices", {"amount": 10_000, "assets": ["BNB"]})
    assert refused.status == 400
    async with db_pool.acquire() as conn:
        row = await conn.fetchrow("SELECT expires_at - created_at AS ttl FROM invoices "
                                  "WHERE id = $1", body["id"])
        actions = await conn.fetch("SELECT action FROM merchant_audit_log WHERE merchant_id = $1 "
                                   "AND action = 'settings.update'", merchant_id)
    assert row["ttl"].total_seconds() == 600 and len(actions) == 1
