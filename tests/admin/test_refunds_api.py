"""Refunds over the admin JSON API: the queue, approve and reject by an administrator only,
each decision in the audit log."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import asyncpg
import pytest

from gateway.admin import auth
from gateway.config import Settings
from tests.admin.test_api_access import bearer, make_user, token_of
from tests.plugins.app import RunningApp
from tests.refunds.helpers import pending_refund


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def make_pending(db_pool: asyncpg.Pool, app_server: RunningApp, app_settings: Settings,
                       make_merchant: Callable[..., Awaitable[str]],
                       make_api_key: Callable[..., Awaitable[str]]
                       ) -> Callable[[], Awaitable[str]]:
    async def make() -> str:
        merchant_id = await make_merchant()
        key = await make_api_key(merchant_id)
        return await pending_refund(db_pool, app_server.url, merchant_id, key)

    return make


async def _token(pool: asyncpg.Pool, role: auth.Role) -> tuple[str, dict[str, str]]:
    name = await make_user(pool, role)
    return name, bearer((await token_of(pool, name)).secret)


async def _audit(pool: asyncpg.Pool, refund_id: str) -> list[tuple[str, str]]:
    rows = await pool.fetch("SELECT actor, action FROM admin_audit_log WHERE target_id = $1 "
                            "ORDER BY id", refund_id)
    return [(r["actor"], r["action"]) for r in rows]


async def test_admin_approves_and_rejects(app_server: RunningApp, db_pool: asyncpg.Pool,
                                          http: aiohttp.ClientSession,
                                          make_pending: Callable[[], Awaitable[str]]) -> None:
    approve_id, reject_id = await make_pending(), await make_pending()
    admin, headers = await _token(db_pool, auth.Role.ADMIN)
    base = f"{app_server.url}/admin/api/refunds"
    async with http.get(base, params={"status": "pending_approval", "limit": "100"},
                        headers=headers) as listed:
        assert listed.status == 200
        queue = [r["id"] for r in (await listed.json())["data"]]
    assert {approve_id, reject_id} <= set(queue)
    async with http.post(f"{base}/{approve_id}/approve", json={}, headers=headers) as done:
        body = await done.json()
        assert done.status == 200, body
    assert (body["status"], body["decided_by"], body["amount"]) == ("sending", admin, 60_000)
    async with http.post(f"{base}/{approve_id}/approve", json={}, headers=headers) as again:
        assert again.status == 409
        assert (await again.json())["error"]["code"] == "refund_not_pending"
    async with http.post(f"{base}/{reject_id}/reject", json={}, headers=headers) as bare:
        assert bare.status == 400 and (await bare.json())["error"]["param"] == "reason"
    async with http.post(f"{base}/{reject_id}/reject", json={"reason": "a chargeback"},
                         headers=headers) as rejected:
        body = await rejected.json()
    assert (body["status"], body["failure_reason"]) == ("cancelled", "a chargeback")
    assert await _audit(db_pool, approve_id) == [(admin, "refund.approve")]
    assert await _audit(db_pool, reject_id) == [(admin, "refund.reject")]
    missing = f"{base}/rfd_{secrets.token_hex(8)}/approve"
    async with http.post(missing, json={}, headers=headers) as unknown:
        assert unknown.status == 404


async def test_operator_and_auditor_may_only_read(
        app_server: RunningApp, db_pool: asyncpg.Pool, http: aiohttp.ClientSession,
        make_pending: Callable[[], Awaitable[str]]) -> None:
    refund_id = await make_pending()
    base = f"{app_server.url}/admin/api/refunds"
    for role in (auth.Role.OPERATOR, auth.Role.AUDITOR):
        _, headers = await _token(db_pool, role)
        async with http.get(base, headers=headers) as listed:
            assert listed.status == 200
        async with http.post(f"{base}/{refund_id}/approve", json={}, headers=headers) as no:
            assert no.status == 403 and (await no.json())["error"]["code"] == "role_forbidden"
    status = await db_pool.fetchval("SELECT status FROM refunds WHERE id = $1", refund_id)
    assert status == "pending_approval" and await _audit(db_pool, refund_id) == []
