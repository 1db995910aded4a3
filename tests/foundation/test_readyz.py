"""/readyz says the database is unreachable without the driver's error text."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from gateway import health
from tests.plugins.app import RunningApp

LEAKY = "could not connect to db.internal:5432 as ccp_owner password=s3cr3t"


async def test_readyz_answers_a_fixed_message_when_the_database_fails(
        app_server: RunningApp, http_session: aiohttp.ClientSession,
        monkeypatch: pytest.MonkeyPatch) -> None:
    async def failing(conn: Any) -> list[Any]:
        raise OSError(LEAKY)

    monkeypatch.setattr(health, "pending", failing)
    async with http_session.get(f"{app_server.url}/readyz") as resp:
        raw = await resp.text()
        body = await resp.json()
    assert resp.status == 503
    assert body == {"status": "unavailable", "database": "unreachable",
                    "detail": "The database could not be reached; see the gateway log."}
    assert "s3cr3t" not in raw and "db.internal" not in raw


async def test_readyz_is_ok_with_a_current_schema(
        app_server: RunningApp, http_session: aiohttp.ClientSession) -> None:
    async with http_session.get(f"{app_server.url}/readyz") as resp:
        assert resp.status == 200
        assert (await resp.json())["database"] == "ok"
