"""A zone administrator invites a merchant's owner from the console's merchant page: the
one-time link is shown once, works once (the owner makes an account with it), and the invite
is in the admin audit log and the merchant's own; a bad email or an unknown merchant changes
nothing; the form needs the session's CSRF token. The admin JSON API makes the same invite
(`POST /admin/api/merchants/<id>/owner-invites`), audited alike. (Auditors and operators are
refused in tests/admin/test_roles.py, with every admin route.)"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
import pytest

from gateway.admin import auth
from tests.admin.test_api_access import bearer, token_of
from tests.admin.test_console_http import client, make_user, page_csrf, sign_in
from tests.plugins.app import RunningApp

MakeMerchant = Callable[..., Awaitable[str]]
LINK = re.compile(r'<code id="invite-link">(http://[^<]+/merchant/invite/([A-Za-z0-9_-]+))'
                  r'</code>')


@pytest.fixture
async def admin(app_server: RunningApp, db_pool: asyncpg.Pool
                ) -> AsyncIterator[tuple[aiohttp.ClientSession, str, str]]:
    """A signed-in administrator's HTTP session, the form token and the username."""
    name = await make_user(db_pool, auth.Role.ADMIN)
    async with client() as http:
        assert (await sign_in(http, app_server.url, name)).status == 303
        yield http, await page_csrf(http, app_server.url), name


async def _invite(http: aiohttp.ClientSession, url: str, merchant_id: str,
                  data: dict[str, str]) -> tuple[int, str]:
    async with http.post(f"{url}/admin/merchants/{merchant_id}/owner-invites", data=data,
                         allow_redirects=False) as response:
        return response.status, await response.text()


async def _invites(pool: asyncpg.Pool, merchant_id: str) -> list[tuple[str, str]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT email, role FROM merchant_invites WHERE merchant_id = $1",
                                merchant_id)
    return [(r["email"], r["role"]) for r in rows]


async def test_admin_invites_the_owner_who_makes_an_account(
        admin: tuple[aiohttp.ClientSession, str, str], app_server: RunningApp,
        db_pool: asyncpg.Pool, make_merchant: MakeMerchant) -> None:
    http, token, name = admin
    merchant_id = await make_merchant()
    status, page = await _invite(http, app_server.url, merchant_id,
                                 {"csrf_token": token, "email": " Owner@Coffee.KZ "})
    assert status == 200, page
    found = LINK.search(page)
    assert found is not None and found.group(1).startswith(app_server.url)
    assert await _invites(db_pool, merchant_id) == [("owner@coffee.kz", "owner")]
    async with http.get(f"{app_server.url}/admin/merchants/{merchant_id}") as again:
        shown = await again.text()
    assert "owner@coffee.kz" in shown and found.group(2) not in shown  # shown once
    async with db_pool.acquire() as conn:
        expires = await conn.fetchval("SELECT expires_at FROM merchant_invites "
                                      "WHERE merchant_id = $1", merchant_id)
    almaty = expires.astimezone(ZoneInfo("Asia/Almaty")).strftime("%Y-%m-%d %H:%M:%S")
    assert f"link valid until {almaty}" in shown  # Almaty time, the zone named once:
    assert "Times in Asia/Almaty (UTC+5)." in shown and " UTC<" not in shown
    async with db_pool.acquire() as conn:
        admin_rows = await conn.fetch(
            "SELECT action, target_id, after FROM admin_audit_log WHERE actor = $1 "
            "AND action NOT LIKE 'auth.%'", name)
        merchant_rows = await conn.fetch(
            "SELECT actor, action FROM merchant_audit_log WHERE merchant_id = $1", merchant_id)
    assert [(r["action"], r["target_id"]) for r in admin_rows] == [
        ("merchant.owner_invite", merchant_id)]
    assert found.group(2) not in str(admin_rows[0]["after"])  # the link is written nowhere
    assert [(r["actor"], r["action"]) for r in merchant_rows] == [
        (f"zone-admin:{name}", "invite.create")]

    async with client() as owner:
        async with owner.get(found.group(1)) as form:
            assert form.status == 200
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', await form.text())
        assert csrf is not None
        async with owner.post(found.group(1), allow_redirects=False, data={
                "csrf_token": csrf.group(1), "password": "correct horse battery"}) as made:
            assert made.status == 303 and made.headers["Location"] == "/merchant/login"
        async with owner.get(found.group(1)) as used:
            assert used.status == 404  # works once
    async with http.get(f"{app_server.url}/admin/merchants/{merchant_id}") as after:
        assert re.search(r"owner@coffee\.kz</td><td>owner</td>\s*<td><span class=\"badge "
                         r"active\">active", await after.text())


async def test_bad_email_and_unknown_merchant_change_nothing(
        admin: tuple[aiohttp.ClientSession, str, str], app_server: RunningApp,
        db_pool: asyncpg.Pool, make_merchant: MakeMerchant) -> None:
    http, token, _ = admin
    merchant_id = await make_merchant()
    status, page = await _invite(http, app_server.url, merchant_id,
                                 {"csrf_token": token, "email": "not an email"})
    assert status == 400 and "email: must be an email address" in page
    assert 'id="invite-link"' not in page
    status, _ = await _invite(http, app_server.url, "mch_doesnotexist",
                              {"csrf_token": token, "email": "owner@coffee.kz"})
    assert status == 404
    status, _ = await _invite(http, app_server.url, merchant_id,
                              {"email": "owner@coffee.kz"})
    assert status == 403  # no CSRF token
    assert await _invites(db_pool, merchant_id) == []


async def test_the_admin_api_invites_the_owner_once_and_audits_it(
        app_server: RunningApp, db_pool: asyncpg.Pool, make_merchant: MakeMerchant) -> None:
    name = await make_user(db_pool, auth.Role.ADMIN)
    token = await token_of(db_pool, name)
    merchant_id = await make_merchant()
    url = f"{app_server.url}/admin/api/merchants/{merchant_id}/owner-invites"
    async with aiohttp.ClientSession(headers=bearer(token.secret)) as http:
        async with http.post(url, json={"email": "not an email"}) as bad:
            assert bad.status == 400
            assert (await bad.json())["error"]["param"] == "email"
        async with http.post(url.replace(merchant_id, "mch_doesnotexist"),
                             json={"email": "owner@coffee.kz"}) as unknown:
            assert unknown.status == 404
        assert await _invites(db_pool, merchant_id) == []
        async with http.post(url, json={"email": " Owner@Coffee.KZ "}) as made:
            assert made.status == 201
            invite = await made.json()
    assert invite["object"] == "merchant_invite" and invite["merchant_id"] == merchant_id
    assert (invite["email"], invite["role"]) == ("owner@coffee.kz", "owner")
    assert invite["url"].startswith(f"{app_server.url}/merchant/invite/")
    assert await _invites(db_pool, merchant_id) == [("owner@coffee.kz", "owner")]
    secret = invite["url"].rsplit("/", 1)[1]
    async with db_pool.acquire() as conn:
        admin_rows = await conn.fetch(
            "SELECT action, target_id, after FROM admin_audit_log WHERE actor = $1 "
            "AND action NOT LIKE 'auth.%'", name)
        merchant_rows = await conn.fetch(
            "SELECT actor, action FROM merchant_audit_log WHERE merchant_id = $1", merchant_id)
    assert [(r["action"], r["target_id"]) for r in admin_rows] == [
        ("merchant.owner_invite", merchant_id)]
    assert secret not in str(admin_rows[0]["after"])  # the link is written nowhere
    assert [(r["actor"], r["action"]) for r in merchant_rows] == [
        (f"zone-admin:{name}", "invite.create")]
    async with client() as owner, owner.get(invite["url"]) as form:
        assert form.status == 200  # the link opens the owner's account form
