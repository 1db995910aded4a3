"""Roles enforced per route: every state-changing route of the console and of the JSON API
(/admin/api) is listed here with the role it needs, and an auditor and an operator are each
refused (403) what their role forbids, with nothing changed in the database: the merchant,
its keys, the batches, payout files, approvals, ledger and reconciliation stay as they were,
and the refused user has no audit row besides signing in. Each request is one that would
change the books if it were let in (real ids, valid fields). A new POST route under /admin
must be added to ROUTES, or `test_every_admin_post_route_is_listed` fails."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import pytest

from gateway.admin import audit, auth
from gateway.admin.approvals import service as approvals
from gateway.admin.settlement import service as settlement_service
from gateway.merchants import service as merchants
from settlement.payouts.bin import make_bin
from settlement.payouts.iban import make_kz_iban
from settlement.payouts.service import ExportRequest
from tests.admin.test_api_access import bearer, make_user, token_of
from tests.admin.test_approvals import closed_batch
from tests.admin.test_console_http import client, csrf_of, sign_in
from tests.plugins.app import RunningApp, running_app, settings_for_tests
from tests.refunds.helpers import pending_refund

ADMIN, OPERATOR = auth.Role.ADMIN, auth.Role.OPERATOR

# (path template, the least role it needs, the form / JSON body that would change something)
ROUTES: list[tuple[str, auth.Role, dict[str, str]]] = [
    ("/admin/merchants", ADMIN, {"name": "Refused shop", "bin": "{bin}", "iban": "{iban}",
                                 "bic": "", "fee_bps": "100", "fee_fixed": "0",
                                 "fee_minimum": "0"}),
    ("/admin/merchants/{merchant_id}", ADMIN, {
        "name": "Renamed", "bin": "{bin}", "iban": "{iban}", "bic": "", "fee_bps": "999",
        "fee_fixed": "1", "fee_minimum": "0"}),
    ("/admin/merchants/{merchant_id}/status", ADMIN, {"status": "suspended"}),
    ("/admin/merchants/{merchant_id}/keys", ADMIN, {}),
    ("/admin/merchants/{merchant_id}/keys/{key_id}/revoke", ADMIN, {}),
    ("/admin/merchants/{merchant_id}/owner-invites", ADMIN, {"email": "owner@refused.kz"}),
    ("/admin/approvals/{approval_id}/approve", ADMIN, {}),
    ("/admin/approvals/{approval_id}/reject", ADMIN, {"reason": "no"}),
    ("/admin/batches/close", OPERATOR, {"day": "2001-02-05"}),
    ("/admin/batches/export", OPERATOR, {"batch_id": "{closed}"}),
    ("/admin/batches/{exported}/paid", OPERATOR, {"bank_reference": "HSBK-R"}),
    ("/admin/batches/{exported}/failed", OPERATOR, {"bank_reference": "HSBK-R"}),
    ("/admin/exceptions/tr_1/assign", OPERATOR, {"invoice_id": "inv_x"}),
    ("/admin/exceptions/payment:1/accept", OPERATOR, {}),
    ("/admin/exceptions/payment:1/refund", OPERATOR, {}),
    ("/admin/exceptions/vt_1/acknowledge", OPERATOR, {}),
    ("/admin/reconciliation/runs", OPERATOR, {}),
    ("/admin/refunds/{refund_id}/approve", ADMIN, {}),
    ("/admin/refunds/{refund_id}/reject", ADMIN, {"reason": "no"}),
    ("/admin/refunds/{refund_id}/signed", ADMIN, {"signed": "0x02f8"}),
    ("/admin/invoices/{invoice_id}/refund", ADMIN, {}),
]
API_ROUTES: list[tuple[str, auth.Role, dict[str, Any]]] = [
    ("/admin/api/approvals/{approval_id}/approve", ADMIN, {}),
    ("/admin/api/approvals/{approval_id}/reject", ADMIN, {"reason": "no"}),
    ("/admin/api/batches/close", OPERATOR, {"day": "2001-02-06"}),
    ("/admin/api/batches/export", OPERATOR, {"batch_ids": ["{closed}"]}),
    ("/admin/api/batches/{exported}/paid", OPERATOR, {"bank_reference": "HSBK-R"}),
    ("/admin/api/batches/{exported}/failed", OPERATOR, {"bank_reference": "HSBK-R"}),
    ("/admin/api/unmatched-payments/1/refund", OPERATOR, {}),
    ("/admin/api/exceptions/payment:1/decision", OPERATOR, {"action": "refund"}),
    ("/admin/api/exceptions/vt_1/decision", OPERATOR, {"action": "acknowledge"}),
    ("/admin/api/reconciliation/runs", OPERATOR, {}),
    ("/admin/api/refunds/{refund_id}/approve", ADMIN, {}),
    ("/admin/api/refunds/{refund_id}/reject", ADMIN, {"reason": "no"}),
    ("/admin/api/refunds/{refund_id}/signed", ADMIN, {"signed": "0x02f8"}),
    ("/admin/api/merchants/{merchant_id}/owner-invites", ADMIN, {"email": "owner@refused.kz"}),
    ("/admin/api/treasury/conversions", OPERATOR, {"asset": "bsc:USDT", "units": "1",
                                                   "kzt": "1", "reference": "refused"}),
]
# Open to every signed-in role (their own session and account) or to nobody signed in: not
# role-checked by design.
UNCHECKED = {"/admin/login", "/admin/logout", "/admin/account/totp",
             "/admin/account/totp/confirm"}

FINGERPRINT = """
SELECT md5(concat_ws('|',
    (SELECT count(*) FROM merchants),
    (SELECT m::text FROM merchants m WHERE id = $1),
    (SELECT string_agg(k.id || coalesce(k.revoked_at::text, '-'), ',' ORDER BY k.id)
       FROM api_keys k WHERE merchant_id = $1),
    (SELECT count(*) FROM fee_schedules WHERE merchant_id = $1),
    (SELECT count(*) FROM merchant_invites WHERE merchant_id = $1),
    (SELECT string_agg(b.id || b.status, ',' ORDER BY b.id) FROM settlement_batches b
       WHERE id = ANY($2::text[])),
    (SELECT count(*) FROM settlement_batches),
    (SELECT count(*) FROM payout_files),
    (SELECT count(*) FROM journal_entries),
    (SELECT count(*) FROM reconciliation_runs),
    (SELECT count(*) FROM unmatched_payment_resolutions),
    (SELECT string_agg(a.id || a.status, ',' ORDER BY a.id) FROM admin_approvals a),
    (SELECT count(*) FROM admin_users),
    (SELECT string_agg(r.id || r.status, ',' ORDER BY r.id) FROM refunds r)))
"""


@dataclass(frozen=True)
class World:
    app: RunningApp
    ids: dict[str, str]

    def fill(self, template: Any) -> Any:
        if isinstance(template, str):
            return template.format(**self.ids)
        if isinstance(template, list):
            return [self.fill(v) for v in template]
        return {k: self.fill(v) for k, v in template.items()}

    async def fingerprint(self, pool: asyncpg.Pool) -> str:
        async with pool.acquire() as conn:
            value: str = await conn.fetchval(FINGERPRINT, self.ids["merchant_id"],
                                             [self.ids["closed"], self.ids["exported"]])
        return value


@pytest.fixture(scope="module")
async def world(database_url: str, db_pool: asyncpg.Pool,
                tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    settings = settings_for_tests(database_url, tmp_path_factory.mktemp("roles"))

    async def make_merchant(**fields: Any) -> str:
        async with db_pool.acquire() as conn:
            return (await merchants.create_merchant(conn, merchants.MerchantInput(
                name=f"Roles shop {secrets.token_hex(3)}",
                iban=make_kz_iban("722", f"KZT{secrets.randbelow(10**10):010d}"),
                **fields))).id

    closed = await closed_batch(db_pool, make_merchant)
    exported = await closed_batch(db_pool, make_merchant)
    pending_for = await closed_batch(db_pool, make_merchant)
    async with db_pool.acquire() as conn:
        merchant_id = await conn.fetchval(
            "SELECT merchant_id FROM settlement_batches WHERE id = $1", closed)
        key = await merchants.issue_api_key(conn, merchant_id, settings.api_key_pepper)
        await settlement_service.export(conn, audit.CLI_ACTOR, settings,
                                        ExportRequest(batch_ids=[exported]))
        pending = await approvals.request_export(conn, audit.CLI_ACTOR,
                                                 ExportRequest(batch_ids=[pending_for]))
        assert pending is not None
    ids = {"merchant_id": merchant_id, "key_id": key.id, "closed": closed,
           "exported": exported, "approval_id": pending.id, "bin": make_bin("99034000001"),
           "iban": make_kz_iban("722", f"KZT{secrets.randbelow(10**10):010d}")}
    async with running_app(settings) as server:
        ids["refund_id"] = await pending_refund(db_pool, server.url, merchant_id, key.secret)
        async with db_pool.acquire() as conn:
            ids["invoice_id"] = await conn.fetchval(
                "SELECT invoice_id FROM refunds WHERE id = $1", ids["refund_id"])
        yield World(server, ids)


def _forbidden_for(role: auth.Role, needed: auth.Role) -> bool:
    return not (role.can_change if needed is ADMIN else role.can_operate)


async def _audit_rows(pool: asyncpg.Pool, username: str) -> list[str]:
    async with pool.acquire() as conn:
        return [r["action"] for r in await conn.fetch(
            "SELECT action FROM admin_audit_log WHERE actor = $1 AND action NOT LIKE 'auth.%'",
            username)]


@pytest.mark.parametrize("role", [auth.Role.AUDITOR, auth.Role.OPERATOR])
async def test_console_refuses_what_the_role_forbids(world: World, db_pool: asyncpg.Pool,
                                                     role: auth.Role) -> None:
    name = await make_user(db_pool, role)
    refused = [(p, form) for p, needed, form in ROUTES if _forbidden_for(role, needed)]
    assert refused
    before = await world.fingerprint(db_pool)
    async with client() as http:
        await sign_in(http, world.app.url, name)
        async with http.get(f"{world.app.url}/admin/merchants") as page:
            token = csrf_of(await page.text())
        for path, form in refused:
            async with http.post(world.app.url + world.fill(path), allow_redirects=False,
                                 data={"csrf_token": token, **world.fill(form)}) as response:
                assert response.status == 403, (role, path, await response.text())
    assert await world.fingerprint(db_pool) == before
    assert await _audit_rows(db_pool, name) == []


@pytest.mark.parametrize("role", [auth.Role.AUDITOR, auth.Role.OPERATOR])
async def test_json_api_refuses_what_the_role_forbids(world: World, db_pool: asyncpg.Pool,
                                                      role: auth.Role) -> None:
    name = await make_user(db_pool, role)
    secret = (await token_of(db_pool, name)).secret
    refused = [(p, body) for p, needed, body in API_ROUTES if _forbidden_for(role, needed)]
    assert refused
    before = await world.fingerprint(db_pool)
    async with aiohttp.ClientSession() as http:
        for path, body in refused:
            async with http.post(world.app.url + world.fill(path), json=world.fill(body),
                                 headers=bearer(secret)) as response:
                answer = await response.json()
                assert response.status == 403, (role, path, answer)
                assert answer["error"]["code"] == "role_forbidden"
    assert await world.fingerprint(db_pool) == before
    assert await _audit_rows(db_pool, name) == []


async def test_every_admin_post_route_is_listed(world: World) -> None:
    listed = [re.sub(r"\{\w+\}", "x", p) for p, _, _ in [*ROUTES, *API_ROUTES]]
    served = [route.resource.get_info() for route in world.app.app.router.routes()
              if route.method == "POST" and route.resource is not None
              and route.resource.canonical.startswith("/admin")]
    unlisted = [info.get("formatter") or info["path"] for info in served
                if info.get("path") not in UNCHECKED
                and not any(_matches(info, path) for path in listed)]
    assert len(served) > 20
    assert unlisted == [], "add these routes to ROUTES/API_ROUTES with their role"


def _matches(info: dict[str, Any], path: str) -> bool:
    pattern = info.get("pattern")
    return bool(pattern.fullmatch(path)) if pattern is not None else info["path"] == path
