"""Reconciliation against a local JSON-RPC node (real reply formats) and the admin API."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from gateway.admin import auth as admin_auth
from gateway.admin.audit import CLI_ACTOR
from gateway.admin.settlement import service
from gateway.admin.settlement.chain_balances import (
    ChainSources,
    JsonRpc,
    associated_token_address,
    bnb_balance,
    erc20_balance,
)
from gateway.cli import main as cli_main
from settlement.batches import service as batches
from settlement.money import Currency
from settlement.payouts.bin import make_bin
from settlement.reconciliation.errors import AlreadyResolved
from settlement.reconciliation.service import (
    AddressExpectation,
    Observation,
    address_lines,
    resolve_unmatched,
)
from tests.plugins.app import running_app, settings_for_tests
from tests.plugins.local_server import serve
from tests.settlement_flow.helpers import db_now, settle_invoice

TREASURY = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"
MINT = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"
DEPOSIT = "0x" + "ab" * 20
TOKEN = "0x55d398326f99059fF775485246999027B3197955"


@pytest.fixture
async def fake_node() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """JSON-RPC answers shaped like geth and the Solana RPC (see shared/fixtures/rpc)."""
    seen: list[dict[str, Any]] = []
    ata = associated_token_address(TREASURY, MINT)

    async def rpc(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append(body)
        method, params = body["method"], body["params"]
        result: Any
        if method == "eth_getBalance":
            result = hex(5 * 10**17)
        elif method == "eth_call":
            result = "0x" + hex(7 * 10**18)[2:].rjust(64, "0")
        elif method == "getBalance":
            result = {"context": {"apiVersion": "2.0.15", "slot": 341197053}, "value": 0}
        elif method == "getTokenAccountBalance" and params[0] == ata:
            result = {"context": {"apiVersion": "2.0.15", "slot": 341197053},
                      "value": {"amount": "90", "decimals": 6, "uiAmount": 0.00009,
                                "uiAmountString": "0.00009"}}
        else:
            return web.json_response({"jsonrpc": "2.0", "id": body["id"], "error": {
                "code": -32602, "message": "Invalid param: could not find account"}})
        return web.json_response({"jsonrpc": "2.0", "id": body["id"], "result": result})

    app = web.Application()
    app.router.add_post("/", rpc)
    async with serve(app) as url:
        yield f"{url}/", seen


async def test_evm_balance_calls(fake_node: tuple[str, list[dict[str, Any]]]) -> None:
    url, seen = fake_node
    async with aiohttp.ClientSession() as session:
        rpc = JsonRpc(session, url, 5)
        assert await bnb_balance(rpc, DEPOSIT) == 5 * 10**17
        assert await erc20_balance(rpc, TOKEN, DEPOSIT) == 7 * 10**18
    assert seen[-1]["params"][0] == {"to": TOKEN, "data": "0x70a08231" + "00" * 12 + "ab" * 20}


def test_address_lines_list_every_difference() -> None:
    expected = [AddressExpectation("bsc", "bsc:USDT", "0xa", 10),
                AddressExpectation("bsc", "bsc:USDT", "0xb", 5)]
    observed = [Observation("bsc", "bsc:USDT", "0xa", 10),
                Observation("bsc", "bsc:USDT", "0xb", 3)]
    [line] = address_lines(expected, observed)
    assert (line.address, line.ledger_amount, line.chain_amount, line.difference) == (
        "0xb", 5, 3, -2)


async def test_reconciliation_finds_a_planted_difference(
    conn: asyncpg.Connection, database_url: str, tmp_path: Path,
    fake_node: tuple[str, list[dict[str, Any]]],
) -> None:
    url, _ = fake_node
    # The books hold 100 units of a private SPL asset no watched transfer explains; the node
    # says the treasury's token account holds 90 that the watcher never recorded.
    asset = Currency(f"solana:P{secrets.token_hex(4)}", 6)
    await settle_invoice(conn, f"mch_{secrets.token_hex(8)}", asset=asset, units=100,
                         kzt_gross=100_000, fee=1_000)
    sources = ChainSources(bsc_rpc_url=None, bsc_tokens={}, solana_rpc_url=url,
                           solana_treasury=TREASURY, solana_mints={asset.code: MINT})
    settings = settings_for_tests(database_url, tmp_path)
    run = await service.run_reconciliation(conn, CLI_ACTOR, settings, sources)
    lines = sorted((ln.kind, ln.address, ln.ledger_amount, ln.chain_amount, ln.difference)
                   for ln in run.lines if ln.asset == asset.code)
    assert lines == [("address", associated_token_address(TREASURY, MINT), 0, 90, 90),
                     ("custody", None, 100, 0, -100)]
    assert run.status == "differences"
    assert run.trial_balance and all(v == 0 for v in run.trial_balance.values())
    stored = await conn.fetchval(
        "SELECT count(*) FROM reconciliation_items WHERE run_id = $1 AND asset = $2",
        run.id, asset.code)
    assert stored == 2
    transfer = f"tr_{secrets.token_hex(4)}"
    await resolve_unmatched(conn, transfer, action="refund", note="sender asked")
    with pytest.raises(AlreadyResolved):
        await resolve_unmatched(conn, transfer, action="assign", invoice_id="inv_x")


async def test_admin_api_export_reports_and_auth(
    db_pool: asyncpg.Pool, database_url: str, tmp_path: Path,
    make_merchant: Callable[..., Awaitable[str]],
) -> None:
    settings = settings_for_tests(database_url, tmp_path)
    # The fixture's default BIN 990340000018 fails the control digit (its control is 4):
    # payout files refuse it, so this merchant gets a valid one.
    m = await make_merchant(bic="CASPKZKA", bin=make_bin("99034000001"))
    async with db_pool.acquire() as conn:
        start = await db_now(conn)
        await settle_invoice(conn, m, units=10**18, kzt_gross=250_000, fee=2_500)
        cut = await db_now(conn)
        [batch] = (await batches.close_period(conn, cut.date() + timedelta(days=4000),
                                              start, cut, merchant_ids=[m])).closed
    operator, secret = await operator_token(db_pool)
    auth = {"Authorization": f"Bearer {secret}"}
    _, admin_secret = await operator_token(db_pool, admin_auth.Role.ADMIN)
    approver = {"Authorization": f"Bearer {admin_secret}"}
    async with running_app(settings) as server, aiohttp.ClientSession() as http:
        base = f"{server.url}/admin/api"
        async with http.get(f"{base}/batches") as r:
            assert r.status == 401
        # Four eyes: the operator's export and mark-paid are requests an admin approves.
        async with http.post(f"{base}/batches/export", json={"batch_ids": [batch.id]},
                             headers=auth) as r:
            assert r.status == 202, await r.text()
            export_id = (await r.json())["approval"]["id"]
        async with http.post(f"{base}/approvals/{export_id}/approve", json={},
                             headers=approver) as r:
            assert r.status == 200, await r.text()
            file_id = (await r.json())["result"]["file_id"]
        async with http.get(f"{base}/payout-files/{file_id}", headers=auth) as r:
            assert b"<EndToEndId>" + batch.id.encode() in await r.read()
        # An unknown file is 404 like every missing object (it was 422 unprocessable).
        async with http.get(f"{base}/payout-files/{file_id}x", headers=auth) as r:
            assert r.status == 404
            assert (await r.json())["error"]["code"] == "resource_missing"
        async with http.post(f"{base}/batches/{batch.id}/paid",
                             json={"bank_reference": "HSBK-1"}, headers=auth) as r:
            assert r.status == 202
            paid_id = (await r.json())["approval"]["id"]
        async with http.post(f"{base}/approvals/{paid_id}/approve", json={},
                             headers=approver) as r:
            assert (await r.json())["result"]["status"] == "paid"
        async with http.post(f"{base}/batches/{batch.id}/paid",
                             json={"bank_reference": "HSBK-1"}, headers=auth) as r:
            assert r.status == 409
        query = {"merchant_id": m, "from": start.isoformat(),
                 "to": (await _now(db_pool)).isoformat()}
        async with http.get(f"{base}/reports/statement", params=query, headers=auth) as r:
            body = await r.json()
            assert (body["gross"], body["fees"], body["payouts"], body["closing"]) == (
                250_000, 2_500, 247_500, 0)
        for fmt, magic in (("csv", b"line,count,KZT"), ("pdf", b"%PDF")):
            async with http.get(f"{base}/reports/statement", params={**query, "format": fmt},
                                headers=auth) as r:
                assert (await r.read()).startswith(magic)
        day = start.date().isoformat()
        async with http.get(f"{base}/reports/zone-summary",
                            params={"from": day, "to": day, "format": "csv"},
                            headers=auth) as r:
            assert r.status == 200 and (await r.text()).startswith("day,chain,asset")
        async with http.post(f"{base}/batches/close", json={"day": "2000-01-03"},
                             headers=auth) as r:
            assert r.status == 200, await r.text()
        async with http.post(f"{base}/treasury/conversions", headers=auth, json={
                "asset": "bsc:USDT", "units": 10**30, "kzt": 1}) as r:
            assert r.status == 422  # more than the treasury holds: refused, nothing written
    # Every request and change (and the payout file read: it carries bank details) in the
    # audit log, as the operator who made it, in order (the approver's rows are theirs).
    async with db_pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT action, target_id FROM admin_audit_log WHERE actor = $1 ORDER BY id",
            operator)
    assert [(r["action"], r["target_id"]) for r in rows] == [
        ("approval.request", export_id), ("payout_file.download", file_id),
        ("approval.request", paid_id), ("batch.close_day", "2000-01-03")]


async def operator_token(pool: asyncpg.Pool, role: admin_auth.Role = admin_auth.Role.OPERATOR
                         ) -> tuple[str, str]:
    """A fresh operator (the role that runs settlement; or `role`) and a write token."""
    name = f"ops-{secrets.token_hex(4)}"
    async with pool.acquire() as conn:
        await admin_auth.create_user(conn, name, "correct horse battery", role)
        issued = await admin_auth.create_api_token(conn, name, "test", admin_auth.TokenScope.WRITE)
    return name, issued.secret


async def _now(pool: asyncpg.Pool) -> Any:
    async with pool.acquire() as conn:
        return await db_now(conn)


async def test_cli_changes_are_audited_as_cli(database_url: str, db_pool: asyncpg.Pool,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert await asyncio.to_thread(cli_main, ["settlement", "close", "--day", "2000-01-05"]) == 0
    async with db_pool.acquire() as conn:
        assert await conn.fetchval(
            "SELECT actor FROM admin_audit_log WHERE action = 'batch.close_day' "
            "AND target_id = '2000-01-05' ORDER BY id DESC LIMIT 1") == "cli"
