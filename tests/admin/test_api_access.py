"""Who may call the settlement JSON API (/admin/api): the console's users with their per-user
API tokens or console sessions, by role; no shared token, no open mode, no cross-site simple
POSTs. A POST that passes every check reaches the route, which answers 404 for a batch that
does not exist: that 404 is how these tests see "let in" without changing any books."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest

from gateway.admin import auth
from gateway.admin.errors import InvalidForm
from gateway.cli import main as cli_main
from gateway.config import Settings
from gateway.errors import ConfigError
from tests.admin.test_console_http import PASSWORD, client, page_csrf, sign_in
from tests.plugins.app import RunningApp, running_app, settings_for_tests

MARK = "/admin/api/batches/bat_missing0000000000/paid"
BODY = {"bank_reference": "HSBK-1"}


@pytest.fixture(scope="module")
async def api(database_url: str, tmp_path_factory: pytest.TempPathFactory
              ) -> AsyncIterator[RunningApp]:
    settings = settings_for_tests(database_url, tmp_path_factory.mktemp("admin-api"))
    async with running_app(settings) as server:
        yield server


async def make_user(pool: asyncpg.Pool, role: auth.Role) -> str:
    name = f"{role.value}-{secrets.token_hex(4)}"
    async with pool.acquire() as conn:
        await auth.create_user(conn, name, PASSWORD, role)
    return name


async def token_of(pool: asyncpg.Pool, username: str,
                   scope: auth.TokenScope = auth.TokenScope.WRITE) -> auth.IssuedToken:
    async with pool.acquire() as conn:
        return await auth.create_api_token(conn, username, "test", scope)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def status_of(http: aiohttp.ClientSession, method: str, url: str, **kwargs: object) -> int:
    async with http.request(method, url, **kwargs) as response:  # type: ignore[arg-type]
        await response.read()
        return response.status


async def test_no_credential_no_shared_token_no_open_mode(api: RunningApp) -> None:
    assert api.settings.dev  # dev used to leave the API open without a token
    async with aiohttp.ClientSession() as http:
        assert await status_of(http, "GET", f"{api.url}/admin/api/batches") == 401
        assert await status_of(http, "POST", f"{api.url}{MARK}", json=BODY) == 401
        assert await status_of(http, "GET", f"{api.url}/admin/api/batches",
                               headers=bearer("s3cret")) == 401
        assert await status_of(http, "GET", f"{api.url}/admin/api/batches",
                               headers={"Authorization": "Basic eDp5"}) == 401


async def test_roles_and_token_scopes(api: RunningApp, db_pool: asyncpg.Pool) -> None:
    admin = await make_user(db_pool, auth.Role.ADMIN)
    operator = await make_user(db_pool, auth.Role.OPERATOR)
    auditor = await make_user(db_pool, auth.Role.AUDITOR)
    expected = {
        (operator, auth.TokenScope.WRITE): 404,
        (admin, auth.TokenScope.WRITE): 404,
        (auditor, auth.TokenScope.WRITE): 403,
        (admin, auth.TokenScope.READ): 403,
    }
    async with aiohttp.ClientSession() as http:
        for (user, scope), status in expected.items():
            secret = (await token_of(db_pool, user, scope)).secret
            assert await status_of(http, "GET", f"{api.url}/admin/api/batches",
                                   headers=bearer(secret)) == 200, (user, scope)
            assert await status_of(http, "POST", f"{api.url}{MARK}", json=BODY,
                                   headers=bearer(secret)) == status, (user, scope)


async def test_cross_site_simple_post_is_refused(api: RunningApp, db_pool: asyncpg.Pool) -> None:
    """The three bodies a cross-site page can POST without a preflight."""
    secret = (await token_of(db_pool, await make_user(db_pool, auth.Role.ADMIN))).secret
    multipart = aiohttp.FormData()
    multipart.add_field("bank_reference", "HSBK-1")
    multipart.add_field("note", b"x", filename="x.txt")  # forces multipart/form-data
    bodies: list[tuple[object, dict[str, str]]] = [
        (b'{"bank_reference": "HSBK-1"}', {"Content-Type": "text/plain"}),
        ({"bank_reference": "HSBK-1"}, {}),  # application/x-www-form-urlencoded
        (multipart, {}),
    ]
    async with aiohttp.ClientSession() as http:
        for data, headers in bodies:
            assert await status_of(http, "POST", f"{api.url}{MARK}", data=data,
                                   headers={**bearer(secret), **headers}) == 415, data
        # A broken multipart body is a client error too, not a 500.
        assert await status_of(
            http, "POST", f"{api.url}{MARK}", data=b'{"bank_reference": "HSBK-1"}',
            headers={**bearer(secret), "Content-Type": "multipart/form-data; boundary=x"}
        ) == 400


async def test_revoked_token_and_disabled_user_are_refused(api: RunningApp,
                                                           db_pool: asyncpg.Pool) -> None:
    name = await make_user(db_pool, auth.Role.OPERATOR)
    first, second = await token_of(db_pool, name), await token_of(db_pool, name)
    url = f"{api.url}/admin/api/batches"
    async with aiohttp.ClientSession() as http:
        assert await status_of(http, "GET", url, headers=bearer(first.secret)) == 200
        async with db_pool.acquire() as conn:
            await auth.revoke_api_token(conn, first.id)
        assert await status_of(http, "GET", url, headers=bearer(first.secret)) == 401
        assert await status_of(http, "GET", url, headers=bearer(second.secret)) == 200
        async with db_pool.acquire() as conn:
            await conn.execute("UPDATE admin_users SET disabled = true WHERE username = $1",
                               name)
        assert await status_of(http, "GET", url, headers=bearer(second.secret)) == 401
    async with db_pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT count(*) FROM admin_api_tokens WHERE token_hash = $1",
            auth.token_hash(second.secret))
        assert stored == 1  # found by its hash: the secret itself is stored nowhere
        assert await conn.fetchval(
            "SELECT count(*) FROM admin_audit_log WHERE action = 'admin_token.revoke' "
            "AND target_id = $1", first.id) == 1


async def test_console_session_needs_the_csrf_header(api: RunningApp,
                                                     db_pool: asyncpg.Pool) -> None:
    name = await make_user(db_pool, auth.Role.OPERATOR)
    async with client() as http:
        assert (await sign_in(http, api.url, name)).status == 303
        token = await page_csrf(http, api.url)
        assert await status_of(http, "GET", f"{api.url}/admin/api/batches") == 200
        assert await status_of(http, "POST", f"{api.url}{MARK}", json=BODY) == 403
        assert await status_of(http, "POST", f"{api.url}{MARK}", json=BODY,
                               headers={"X-CSRF-Token": "x" * 43}) == 403
        assert await status_of(http, "POST", f"{api.url}{MARK}", json=BODY,
                               headers={"X-CSRF-Token": token}) == 404


async def test_operator_runs_settlement_but_not_merchants_in_the_console(
        api: RunningApp, db_pool: asyncpg.Pool) -> None:
    name = await make_user(db_pool, auth.Role.OPERATOR)
    async with client() as http:
        await sign_in(http, api.url, name)
        token = await page_csrf(http, api.url)
        assert await status_of(http, "POST", f"{api.url}/admin/merchants", data={
            "csrf_token": token, "name": "Operator's shop"}) == 403
        assert await status_of(
            http, "POST", f"{api.url}/admin/batches/bat_missing0000000000/paid",
            data={"csrf_token": token, "bank_reference": "HSBK-1"}) == 404


async def test_cli_issues_a_token_shown_once(api: RunningApp, database_url: str,
                                             db_pool: asyncpg.Pool,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    name = await make_user(db_pool, auth.Role.AUDITOR)
    assert await asyncio.to_thread(cli_main, [
        "admin", "token", "create", "--username", name, "--name", "erp sync"]) == 0
    # stdout carries the token on a line of its own (log lines may share the stream).
    [secret] = [line for line in capsys.readouterr().out.splitlines()
                if line.startswith(auth.API_TOKEN_PREFIX)]
    assert await asyncio.to_thread(cli_main, ["admin", "token", "list", "--username", name]) == 0
    listed = capsys.readouterr().out
    assert "erp sync" in listed and secret not in listed
    async with aiohttp.ClientSession() as http:
        assert await status_of(http, "GET", f"{api.url}/admin/api/batches",
                               headers=bearer(secret)) == 200


def test_unknown_role_is_refused() -> None:
    with pytest.raises(InvalidForm):
        auth.parse_role("root")


def test_the_shared_token_variable_is_refused_at_start() -> None:
    with pytest.raises(ConfigError, match=r"GATEWAY_ADMIN_TOKEN .*admin token create"):
        Settings.from_env({"GATEWAY_ADMIN_TOKEN": "s3cret"})
