"""Four eyes where money leaves (gateway.admin.approvals): a payout account change, a payout
file export and a batch marked paid wait for a second administrator; the requester cannot
approve their own request; nothing changes until then; every step is in the audit log.
Over the JSON API, the console and the CLI, against the real app and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest

from gateway.admin import audit, auth
from gateway.admin.approvals import service as approvals
from gateway.admin.console import service as console_service
from gateway.admin.errors import OwnApproval
from gateway.cli import main as cli_main
from gateway.merchants import service as merchants
from settlement.batches import service as batches
from settlement.payouts.bin import make_bin
from settlement.payouts.iban import make_kz_iban
from tests.admin.test_api_access import bearer, make_user, token_of
from tests.admin.test_console_http import client, csrf_of, sign_in
from tests.plugins.app import RunningApp, running_app, settings_for_tests
from tests.settlement_flow.helpers import db_now, settle_invoice


@pytest.fixture(scope="module")
async def app(database_url: str, tmp_path_factory: pytest.TempPathFactory
              ) -> AsyncIterator[RunningApp]:
    settings = settings_for_tests(database_url, tmp_path_factory.mktemp("approvals"))
    async with running_app(settings) as server:
        yield server


async def closed_batch(pool: asyncpg.Pool, make_merchant: Callable[..., Awaitable[str]]
                       ) -> str:
    merchant_id = await make_merchant(bic="CASPKZKA", bin=make_bin("99034000001"))
    async with pool.acquire() as conn:
        start = await db_now(conn)
        await settle_invoice(conn, merchant_id, units=10**18, kzt_gross=250_000, fee=2_500)
        cut = await db_now(conn)
        [batch] = (await batches.close_period(conn, cut.date() + timedelta(days=5000), start,
                                              cut, merchant_ids=[merchant_id])).closed
    return batch.id


async def batch_status(pool: asyncpg.Pool, batch_id: str) -> str:
    async with pool.acquire() as conn:
        status: str = await conn.fetchval(
            "SELECT status FROM settlement_batches WHERE id = $1", batch_id)
    return status


async def post(http: aiohttp.ClientSession, url: str, secret: str,
               body: dict[str, Any] | None = None) -> tuple[int, Any]:
    async with http.post(url, json=body or {}, headers=bearer(secret)) as response:
        return response.status, await response.json()


async def test_export_and_mark_paid_by_one_admin_wait_for_a_second(
        app: RunningApp, db_pool: asyncpg.Pool,
        make_merchant: Callable[..., Awaitable[str]]) -> None:
    batch_id = await closed_batch(db_pool, make_merchant)
    first, second = [await make_user(db_pool, auth.Role.ADMIN) for _ in range(2)]
    operator = await make_user(db_pool, auth.Role.OPERATOR)
    t1, t2, t_op = [(await token_of(db_pool, name)).secret for name in (first, second, operator)]
    api = f"{app.url}/admin/api"
    async with aiohttp.ClientSession() as http:
        status, body = await post(http, f"{api}/batches/export", t1, {"batch_ids": [batch_id]})
        assert status == 202, body
        export = body["approval"]
        assert (export["status"], export["payload"]["batch_ids"]) == ("pending", [batch_id])
        assert await batch_status(db_pool, batch_id) == "closed"  # nothing exported yet
        # The requester's own approval is refused, and so is an operator's.
        status, body = await post(http, f"{api}/approvals/{export['id']}/approve", t1)
        assert (status, body["error"]["code"]) == (403, "own_approval")
        status, body = await post(http, f"{api}/approvals/{export['id']}/approve", t_op)
        assert (status, body["error"]["code"]) == (403, "role_forbidden")
        assert await batch_status(db_pool, batch_id) == "closed"
        status, body = await post(http, f"{api}/approvals/{export['id']}/approve", t2)
        assert (status, body["status"], body["decided_name"]) == (200, "approved", second)
        file_id = body["result"]["file_id"]
        assert await batch_status(db_pool, batch_id) == "exported"
        status, body = await post(http, f"{api}/approvals/{export['id']}/approve", t2)
        assert status == 409  # decided once

        status, body = await post(http, f"{api}/batches/{batch_id}/paid", t1,
                                  {"bank_reference": "HSBK-7"})
        assert status == 202, body
        paid = body["approval"]
        assert await batch_status(db_pool, batch_id) == "exported"
        status, _ = await post(http, f"{api}/approvals/{paid['id']}/approve", t1)
        assert status == 403
        assert await batch_status(db_pool, batch_id) == "exported"
        status, body = await post(http, f"{api}/approvals/{paid['id']}/approve", t2)
        assert (status, body["result"]["status"]) == (200, "paid")
        assert await batch_status(db_pool, batch_id) == "paid"
    async with db_pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT actor, action, target_id, before, after FROM admin_audit_log "
            "WHERE target_id IN ($1, $2, $3, $4) ORDER BY id",
            export["id"], paid["id"], file_id, batch_id)
    assert [(r["actor"], r["action"]) for r in rows] == [
        (first, "approval.request"), (second, "payout_file.export"),
        (second, "approval.approve"), (first, "approval.request"), (second, "batch.paid"),
        (second, "approval.approve")]
    assert rows[2]["before"]["status"] == "pending"
    assert rows[2]["after"]["status"] == "approved"
    assert rows[4]["before"]["status"] == "exported" and rows[4]["after"]["status"] == "paid"


async def test_payout_account_change_waits_and_own_approval_is_refused(
        database_url: str, tmp_path: Any, db_pool: asyncpg.Pool,
        make_merchant: Callable[..., Awaitable[str]]) -> None:
    settings = settings_for_tests(database_url, tmp_path)
    merchant_id = await make_merchant(bic="CASPKZKA", bin=make_bin("99034000001"))
    first, second = [await make_user(db_pool, auth.Role.ADMIN) for _ in range(2)]
    async with db_pool.acquire() as conn:
        ids = {n: await conn.fetchval("SELECT id FROM admin_users WHERE username = $1", n)
               for n in (first, second)}
        before = await merchants.get_merchant(conn, merchant_id)
        new_iban = make_kz_iban("722", f"KZT{secrets.randbelow(10**10):010d}")
        update = await console_service.update_merchant(
            conn, audit.Actor(ids[first], first), merchant_id, merchants.MerchantInput(
                name=before.name, bin=before.bin, iban=new_iban, bic=before.bic,
                fee_bps=before.fee_bps + 5, fee_fixed=before.fee_fixed), 0)
        pending = update.approval
        assert pending is not None and pending.payload["iban"] == new_iban
        now = await merchants.get_merchant(conn, merchant_id)
        assert now.iban == before.iban  # until approved, payouts go to the old account
        assert now.fee_bps == before.fee_bps + 5  # fees are not four-eyed
        with pytest.raises(OwnApproval):
            await approvals.approve(conn, audit.Actor(ids[first], first), settings, pending.id)
        with pytest.raises(OwnApproval):  # the CLI's anonymous actor decides nothing
            await approvals.approve(conn, audit.CLI_ACTOR, settings, pending.id)
        assert (await merchants.get_merchant(conn, merchant_id)).iban == before.iban
        done = await approvals.approve(conn, audit.Actor(ids[second], second), settings,
                                       pending.id)
        assert done.result["iban"] == new_iban
        assert (await merchants.get_merchant(conn, merchant_id)).iban == new_iban
        changed = await conn.fetchrow(
            "SELECT actor, before, after FROM admin_audit_log WHERE target_id = $1 "
            "AND action = 'merchant.payout_account'", merchant_id)
        assert changed["actor"] == second
        assert (changed["before"]["iban"], changed["after"]["iban"]) == (before.iban, new_iban)


async def test_console_requests_and_a_second_admin_approves(
        app: RunningApp, db_pool: asyncpg.Pool,
        make_merchant: Callable[..., Awaitable[str]]) -> None:
    batch_id = await closed_batch(db_pool, make_merchant)
    first, second = [await make_user(db_pool, auth.Role.ADMIN) for _ in range(2)]
    async with client() as http:
        await sign_in(http, app.url, first)
        async with http.get(f"{app.url}/admin/batches") as page:
            token = csrf_of(await page.text())
        async with http.post(f"{app.url}/admin/batches/export", allow_redirects=False,
                             data={"csrf_token": token, "batch_id": batch_id}) as response:
            assert response.headers["Location"] == "/admin/batches?done=requested"
        async with db_pool.acquire() as conn:
            approval_id = await conn.fetchval(
                "SELECT id FROM admin_approvals WHERE target_id = $1", batch_id)
        async with http.get(f"{app.url}/admin/approvals") as page:
            html = await page.text()
            assert approval_id in html and "waiting for a second administrator" in html
        async with http.post(f"{app.url}/admin/approvals/{approval_id}/approve",
                             allow_redirects=False, data={"csrf_token": token}) as response:
            assert response.status == 403
        assert await batch_status(db_pool, batch_id) == "closed"
    async with client() as http:
        await sign_in(http, app.url, second)
        async with http.get(f"{app.url}/admin/approvals") as page:
            token = csrf_of(await page.text())
        async with http.post(f"{app.url}/admin/approvals/{approval_id}/approve",
                             allow_redirects=False, data={"csrf_token": token}) as response:
            assert response.headers["Location"].startswith("/admin/batches?file=pof_")
    assert await batch_status(db_pool, batch_id) == "exported"


async def test_cli_export_waits_for_an_admin_of_the_cli(
        database_url: str, db_pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], make_merchant: Callable[..., Awaitable[str]]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    batch_id = await closed_batch(db_pool, make_merchant)
    assert await asyncio.to_thread(cli_main, ["settlement", "export", "--batch", batch_id]) == 0
    # stdout also carries the log lines: the request's id is the one approval id printed.
    [approval_id] = set(re.findall(r'"id": "(apr_\w+)"', capsys.readouterr().out))
    assert await batch_status(db_pool, batch_id) == "closed"
    operator = await make_user(db_pool, auth.Role.OPERATOR)
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    assert await asyncio.to_thread(cli_main, ["admin", "approvals", "approve", approval_id,
                                              "--username", operator]) == 1
    assert await batch_status(db_pool, batch_id) == "closed"  # an operator does not decide
    admin = await make_user(db_pool, auth.Role.ADMIN)
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    assert await asyncio.to_thread(cli_main, ["admin", "approvals", "approve", approval_id,
                                              "--username", admin]) == 0
    assert await batch_status(db_pool, batch_id) == "exported"
