"""Optional TOTP for administrators: enrolled from the console (secret shown once as an
otpauth URI and a QR code), then required at sign-in; a code signs in once; the CLI resets
it. Codes are generated with pyotp from the secret the page showed."""

from __future__ import annotations

import asyncio
import html
import re
import secrets
import time
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pyotp
import pytest

from gateway.admin import auth
from gateway.cli import main as cli_main
from tests.admin.test_console_http import PASSWORD, client, csrf_of, make_user
from tests.plugins.app import RunningApp, running_app, settings_for_tests

SECRET = re.compile(r'data-testid="totp-secret">([A-Z2-7]{32})<')


@pytest.fixture(scope="module")
async def console(database_url: str, tmp_path_factory: pytest.TempPathFactory
                  ) -> AsyncIterator[RunningApp]:
    settings = settings_for_tests(database_url, tmp_path_factory.mktemp("totp"))
    async with running_app(settings) as server:
        yield server


async def sign_in(http: aiohttp.ClientSession, url: str, username: str,
                  otp: str | None = None) -> int:
    async with http.get(f"{url}/admin/login") as page:
        token = csrf_of(await page.text())
    form = {"csrf_token": token, "username": username, "password": PASSWORD,
            "next": "/admin/account"}
    if otp is not None:
        form["otp"] = otp
    async with http.post(f"{url}/admin/login", allow_redirects=False, data=form) as response:
        await response.read()
        return response.status


async def enrol(http: aiohttp.ClientSession, url: str) -> str:
    """Set up TOTP from the account page; returns the secret the page showed once."""
    async with http.get(f"{url}/admin/account") as page:
        token = csrf_of(await page.text())
    async with http.post(f"{url}/admin/account/totp", data={"csrf_token": token}) as page:
        body = await page.text()
    secret = SECRET.search(body)
    assert secret, "no secret on the enrolment page"
    shown = re.search(r'data-testid="totp-uri">([^<]+)<', body)
    assert shown, "no otpauth URI on the enrolment page"
    uri = html.unescape(shown.group(1))
    assert uri.startswith("otpauth://totp/") and f"secret={secret.group(1)}" in uri
    assert "<svg" in body and "<path" in body  # the QR code, inline
    wrong = {"csrf_token": token, "code": "000000"}
    async with http.post(f"{url}/admin/account/totp/confirm", data=wrong,
                         allow_redirects=False) as response:
        assert response.status == 400 or pyotp.TOTP(secret.group(1)).now() == "000000"
    async with http.post(f"{url}/admin/account/totp/confirm", allow_redirects=False, data={
            "csrf_token": token, "code": pyotp.TOTP(secret.group(1)).now()}) as response:
        assert response.headers["Location"] == "/admin/account?done=totp"
    return secret.group(1)


async def test_enrolled_admin_needs_the_code(console: RunningApp, db_pool: asyncpg.Pool,
                                            database_url: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    name = await make_user(db_pool, auth.Role.ADMIN)
    async with client() as http:
        assert await sign_in(http, console.url, name) == 303  # not enrolled: password only
        secret = await enrol(http, console.url)
        async with http.get(f"{console.url}/admin/account") as page:
            assert 'data-testid="totp-status">on<' in await page.text()
            assert secret not in await page.text()  # shown only once
    totp = pyotp.TOTP(secret)
    # The enrolment used the current step: the next step's code (accepted for clock drift).
    code = totp.at(time.time() + totp.interval)
    async with client() as http:
        assert await sign_in(http, console.url, name) == 401  # password alone no longer
        assert await sign_in(http, console.url, name, "123") == 401
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        assert await sign_in(http, console.url, name, wrong) == 401
        assert await sign_in(http, console.url, name, code) == 303
    async with client() as http:
        assert await sign_in(http, console.url, name, code) == 401  # a code signs in once
    async with db_pool.acquire() as conn:
        actions = [r["action"] for r in await conn.fetch(
            "SELECT action FROM admin_audit_log WHERE actor = $1 ORDER BY id", name)]
    assert "admin_user.totp_enable" in actions
    assert actions.count("auth.login_failed") >= 3  # wrong codes count like wrong passwords

    monkeypatch.setenv("DATABASE_URL", database_url)
    assert await asyncio.to_thread(cli_main, ["admin", "totp-reset", "--username", name]) == 0
    async with client() as http:
        assert await sign_in(http, console.url, name) == 303


def test_totp_step_accepts_one_step_of_drift_only() -> None:
    secret = pyotp.random_base32(32)
    totp = pyotp.TOTP(secret)
    now = time.time()
    step = int(now // totp.interval)
    assert auth.totp_step(secret, totp.at(now), now) == step
    assert auth.totp_step(secret, totp.at(now - totp.interval), now) == step - 1
    assert auth.totp_step(secret, totp.at(now + 3 * totp.interval), now) is None
    assert auth.totp_step(secret, None, now) is None
    assert auth.totp_step(secret, "abcdef", now) is None
    assert auth.totp_step(secret, secrets.token_hex(8), now) is None
