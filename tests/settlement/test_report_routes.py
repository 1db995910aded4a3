"""Report routes: an unknown merchant is 404 before anything is drawn; safe file names."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

import aiohttp
import asyncpg
import pytest

from gateway.admin import auth
from gateway.http.download import content_disposition, safe_filename
from tests.plugins.app import RunningApp

PERIOD = {"from": "2026-01-01T00:00:00+00:00", "to": "2026-02-01T00:00:00+00:00"}


@pytest.fixture
async def auditor(db_pool: asyncpg.Pool) -> dict[str, str]:
    """Headers of an auditor's read-only admin API token (reports only need to read)."""
    name = f"auditor-{secrets.token_hex(4)}"
    async with db_pool.acquire() as conn:
        await auth.create_user(conn, name, "correct horse battery", auth.Role.AUDITOR)
        issued = await auth.create_api_token(conn, name, "reports", auth.TokenScope.READ)
    return {"Authorization": f"Bearer {issued.secret}"}


@pytest.mark.parametrize("merchant_id", ["<b>x", '<img src="/etc/hostname"/>', "mch_nobody"])
@pytest.mark.parametrize("fmt", ["json", "csv", "pdf"])
async def test_statement_of_an_unknown_merchant_is_404(
        app_server: RunningApp, http_session: aiohttp.ClientSession, merchant_id: str,
        fmt: str, auditor: dict[str, str]) -> None:
    params = {**PERIOD, "merchant_id": merchant_id, "format": fmt}
    async with http_session.get(f"{app_server.url}/admin/api/reports/statement",
                                params=params, headers=auditor) as resp:
        assert resp.status == 404, await resp.text()
        assert (await resp.json())["error"]["code"] == "resource_missing"


async def test_statement_pdf_of_a_real_merchant_is_drawn(
        app_server: RunningApp, http_session: aiohttp.ClientSession,
        make_merchant: Callable[..., Awaitable[str]], auditor: dict[str, str]) -> None:
    params = {**PERIOD, "merchant_id": await make_merchant(), "format": "pdf"}
    async with http_session.get(f"{app_server.url}/admin/api/reports/statement",
                                params=params, headers=auditor) as resp:
        assert resp.status == 200
        assert (await resp.read()).startswith(b"%PDF")


@pytest.mark.parametrize(("name", "safe"), [
    ("statement-mch_abc-2026-01-01-2026-01-31.csv", "statement-mch_abc-2026-01-01-2026-01-31.csv"),
    ('x"; filename=evil.exe', "x___filename_evil.exe"),
    ("a\r\nSet-Cookie: s=1", "a__Set-Cookie__s_1"),
    ("../../etc/passwd", "_.._etc_passwd"),
    ("Кофе.pdf", "____.pdf"),
    ("", "download"),
])
def test_download_names_keep_only_safe_characters(name: str, safe: str) -> None:
    assert safe_filename(name) == safe
    assert content_disposition(name) == f'attachment; filename="{safe}"'
