"""`python -m gateway merchant-user invite`: a zone administrator's one-time owner link."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from gateway.cli import main
from gateway.portal import service

MakeMerchant = Callable[..., Awaitable[str]]


async def _cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_invite_link_is_printed_once_and_works(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], database_url: str,
        db_pool: asyncpg.Pool, make_merchant: MakeMerchant) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("GATEWAY_LOG_LEVEL", "warning")
    merchant_id = await make_merchant()
    assert await _cli("merchant-user", "invite", "--merchant", merchant_id,
                      "--email", "Owner@Shop.example") == 0
    captured = capsys.readouterr()
    link = captured.out.strip()
    assert "/merchant/invite/" in link and "not shown again" in captured.err
    token = link.rsplit("/", 1)[1]
    async with db_pool.acquire() as conn:
        invite = await service.open_invite(conn, token)
        assert (invite["email"], invite["role"]) == ("owner@shop.example", "owner")
        actions = [r["action"] for r in await service.audit_entries(conn, merchant_id)]
    assert actions == ["invite.create"]
    assert await _cli("merchant-user", "invite", "--merchant", "mch_missing000000",
                      "--email", "x@shop.example") == 1
    assert await _cli("merchant-user", "invite", "--merchant", merchant_id,
                      "--email", "not-an-email") == 1
