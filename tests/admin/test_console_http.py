"""The admin console over plain HTTP (no browser): sessions, CSRF, roles, lockout, headers,
escaping, the append-only audit table and the `admin` CLI, against the real app on a real
port and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from gateway.admin import auth
from gateway.admin.cli import read_password
from gateway.cli import main as cli_main
from gateway.config import AdminSettings
from tests.plugins.app import RunningApp, running_app, settings_for_tests

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
async def console(database_url: str, tmp_path_factory: pytest.TempPathFactory
                  ) -> AsyncIterator[RunningApp]:
    settings = settings_for_tests(database_url, tmp_path_factory.mktemp("admin-http"),
                                  admin=AdminSettings(lockout_attempts=3, lockout_seconds=300))
    async with running_app(settings) as server:
        yield server


async def make_user(pool: asyncpg.Pool, role: auth.Role) -> str:
    name = f"{role.value}-{secrets.token_hex(4)}"
    async with pool.acquire() as conn:
        await auth.create_user(conn, name, PASSWORD, role)
    return name


def client() -> aiohttp.ClientSession:
    # unsafe=True: keep cookies set by an IP-address host (127.0.0.1).
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


async def sign_in(http: aiohttp.ClientSession, url: str, username: str,
                  password: str = PASSWORD) -> aiohttp.ClientResponse:
    async with http.get(f"{url}/admin/login") as page:
        token = csrf_of(await page.text())
    async with http.post(f"{url}/admin/login", allow_redirects=False, data={
            "csrf_token": token, "username": username, "password": password,
            "next": "/admin/merchants"}) as response:
        await response.read()
        return response


async def page_csrf(http: aiohttp.ClientSession, url: str) -> str:
    async with http.get(f"{url}/admin/merchants") as page:
        assert page.status == 200
        return csrf_of(await page.text())


async def test_sign_in_sets_strict_cookie_and_headers(console: RunningApp,
                                                      db_pool: asyncpg.Pool) -> None:
    name = await make_user(db_pool, auth.Role.ADMIN)
    async with client() as http:
        response = await sign_in(http, console.url, name)
        assert response.status == 303 and response.headers["Location"] == "/admin/merchants"
        cookie = next(v for v in response.headers.getall("Set-Cookie")
                      if v.startswith("ccp_admin="))
        lowered = cookie.lower()
        assert "httponly" in lowered and "samesite=strict" in lowered
        assert "path=/admin" in lowered and "secure" not in lowered  # plain http here
        async with http.get(f"{console.url}/admin/merchants") as page:
            assert page.status == 200
            csp = page.headers["Content-Security-Policy"]
            assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
            assert page.headers["X-Frame-Options"] == "DENY"
            assert page.headers["Cache-Control"] == "no-store"
            html = await page.text()
        assert "http://" not in html.replace(console.url, "").replace(
            'xmlns="http://www.w3.org/2000/svg"', "")  # no third-party assets


async def test_secure_cookie_when_public_url_is_https(
        database_url: str, tmp_path: Path, db_pool: asyncpg.Pool) -> None:
    settings = replace(settings_for_tests(database_url, tmp_path),
                       public_url="https://pay.example.kz")
    name = await make_user(db_pool, auth.Role.AUDITOR)
    # The client would not send Secure cookies back over plain http: carry it by hand.
    url = f"http://{settings.host}:{settings.port}"
    async with running_app(settings), aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar()) as http:
        async with http.get(f"{url}/admin/login") as page:
            token = csrf_of(await page.text())
            assert "secure" in page.headers["Set-Cookie"].lower()
        async with http.post(f"{url}/admin/login", allow_redirects=False,
                             headers={"Cookie": f"ccp_admin_login={token}"},
                             data={"csrf_token": token, "username": name,
                                   "password": PASSWORD}) as response:
            assert response.status == 303
            cookie = next(v for v in response.headers.getall("Set-Cookie")
                          if v.startswith("ccp_admin="))
            assert "secure" in cookie.lower()
            assert response.headers["Strict-Transport-Security"].startswith("max-age=")


async def test_post_without_csrf_token_is_refused(console: RunningApp,
                                                  db_pool: asyncpg.Pool) -> None:
    name = await make_user(db_pool, auth.Role.ADMIN)
    async with client() as http:
        await sign_in(http, console.url, name)
        form = {"name": "No CSRF shop", "bin": "990340000014", "iban": "KZ86125KZT5004100100",
                "fee_bps": "100", "fee_fixed": "0", "fee_minimum": "0"}
        async with http.post(f"{console.url}/admin/merchants", data=form) as refused:
            assert refused.status == 403
        async with http.post(f"{console.url}/admin/merchants",
                             data={**form, "csrf_token": "x" * 43}) as wrong:
            assert wrong.status == 403
    async with db_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM merchants WHERE name = $1",
                                   "No CSRF shop") == 0


async def test_sign_in_form_needs_its_token(console: RunningApp) -> None:
    async with client() as http, http.post(f"{console.url}/admin/login", data={
            "username": "someone", "password": PASSWORD}) as response:
        assert response.status == 403


async def test_auditor_posts_are_refused_server_side(console: RunningApp,
                                                     db_pool: asyncpg.Pool) -> None:
    name = await make_user(db_pool, auth.Role.AUDITOR)
    async with client() as http:
        await sign_in(http, console.url, name)
        token = await page_csrf(http, console.url)
        for path in ("/admin/merchants", "/admin/batches/close", "/admin/batches/export",
                     "/admin/reconciliation/runs", "/admin/exceptions/tr_1/assign"):
            async with http.post(f"{console.url}{path}", allow_redirects=False,
                                 data={"csrf_token": token, "name": "x", "day": "2024-01-01",
                                       "batch_id": "bat_x"}) as refused:
                assert refused.status == 403, path
        # Sign-out is the one POST an auditor may make.
        async with http.post(f"{console.url}/admin/logout", allow_redirects=False,
                             data={"csrf_token": token}) as out:
            assert out.status == 303
        async with http.get(f"{console.url}/admin/merchants", allow_redirects=False) as gone:
            assert gone.status == 303 and gone.headers["Location"].startswith("/admin/login")


async def test_lockout_after_configured_failures(console: RunningApp,
                                                 db_pool: asyncpg.Pool) -> None:
    name = await make_user(db_pool, auth.Role.ADMIN)
    async with client() as http:
        statuses = [(await sign_in(http, console.url, name, "wrong password!")).status
                    for _ in range(3)]
        assert statuses == [401, 401, 401]  # locked at the third: the same answer
        assert (await sign_in(http, console.url, name)).status == 401  # right password, locked
    async with db_pool.acquire() as conn:
        actions = [r["action"] for r in await conn.fetch(
            "SELECT action FROM admin_audit_log WHERE actor = $1 ORDER BY id", name)]
        assert actions == ["auth.login_failed", "auth.login_failed", "auth.locked"]
        await auth.set_password(conn, name, PASSWORD)  # the operator's way out
    async with client() as http:
        assert (await sign_in(http, console.url, name)).status == 303


async def test_expired_session_is_sent_to_sign_in(console: RunningApp,
                                                  db_pool: asyncpg.Pool) -> None:
    name = await make_user(db_pool, auth.Role.AUDITOR)
    async with client() as http:
        await sign_in(http, console.url, name)
        async with db_pool.acquire() as conn:
            await conn.execute(
                "UPDATE admin_sessions s SET expires_at = now() - interval '1 second' "
                "FROM admin_users u WHERE u.id = s.user_id AND u.username = $1", name)
        async with http.get(f"{console.url}/admin/invoices?status=new",
                            allow_redirects=False) as response:
            assert response.status == 303
            assert response.headers["Location"] == (
                "/admin/login?next=%2Fadmin%2Finvoices%3Fstatus%3Dnew")


async def test_no_open_redirect_after_sign_in(console: RunningApp,
                                              db_pool: asyncpg.Pool) -> None:
    name = await make_user(db_pool, auth.Role.AUDITOR)
    async with client() as http:
        async with http.get(f"{console.url}/admin/login") as page:
            token = csrf_of(await page.text())
        async with http.post(f"{console.url}/admin/login", allow_redirects=False, data={
                "csrf_token": token, "username": name, "password": PASSWORD,
                "next": "//evil.example/admin"}) as response:
            assert response.headers["Location"] == "/admin/merchants"


async def test_user_data_is_escaped(console: RunningApp, db_pool: asyncpg.Pool) -> None:
    name = await make_user(db_pool, auth.Role.ADMIN)
    evil = '<script>alert("x")</script> & Sons'
    async with client() as http:
        await sign_in(http, console.url, name)
        token = await page_csrf(http, console.url)
        async with http.post(f"{console.url}/admin/merchants", data={
                "csrf_token": token, "name": evil, "bin": "990340000014",
                "iban": "KZ86125KZT5004100100", "bic": "", "fee_bps": "100",
                "fee_fixed": "0", "fee_minimum": "0"}) as created:
            html = await created.text()
            assert created.status == 200, html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Sons" in html


async def test_audit_log_rejects_update_delete_truncate(conn: asyncpg.Connection) -> None:
    await conn.execute("INSERT INTO admin_audit_log (actor, action) VALUES ('t', 'test.row')")
    for statement in ("UPDATE admin_audit_log SET actor = 'x'", "DELETE FROM admin_audit_log",
                      "TRUNCATE admin_audit_log"):
        with pytest.raises(asyncpg.PostgresError) as refused:
            await conn.execute(statement)
        assert refused.value.sqlstate == "AD001", statement


async def test_cli_creates_a_user_who_can_sign_in(console: RunningApp, database_url: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    name = f"ops-{secrets.token_hex(4)}"
    status = await asyncio.to_thread(cli_main, [
        "admin", "create", "--username", name, "--role", "auditor", "--password", PASSWORD])
    assert status == 0
    again = await asyncio.to_thread(cli_main, [
        "admin", "create", "--username", name, "--role", "admin", "--password", PASSWORD])
    assert again == 1  # the name is taken
    async with client() as http:
        assert (await sign_in(http, console.url, name)).status == 303


def test_password_from_stdin_line() -> None:
    assert read_password(None, io.StringIO("s3cret words here\nignored\n")) == \
        "s3cret words here"
    assert read_password("given", io.StringIO("")) == "given"
