"""Webhook endpoints on the developers page over HTTP against the real app: an owner or
manager adds one (the URL judged by the API's own check, the signing secret shown once),
disables, enables and deletes it, each change in the merchant's audit log; a cashier and an
accountant get 403 and nothing changes; every form needs the session's CSRF token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest

from gateway.portal.roles import Role
from tests.plugins.app import ApiClient, RunningApp
from tests.portal.support import Browserless, client, make_user

MakeMerchant = Callable[..., Awaitable[str]]
SignIn = Callable[[Role, str], Awaitable[Browserless]]
HOOK = "http://127.0.0.1:9/ccp-hook"  # the test app runs in dev: a local receiver is allowed
SECRET = re.compile(r"whsec_[A-Za-z0-9]{32}")


@pytest.fixture
async def user_of(app_server: RunningApp, db_pool: asyncpg.Pool) -> AsyncIterator[SignIn]:
    made: list[Browserless] = []

    async def sign_in(role: Role, merchant_id: str) -> Browserless:
        user = client(app_server.url)
        made.append(user)
        status, location, _ = await user.sign_in(await make_user(db_pool, merchant_id, role))
        assert status == 303, location
        await user.get("/merchant/account")  # the session's CSRF token
        return user

    yield sign_in
    for user in made:
        await user.http.close()


async def _endpoints(pool: asyncpg.Pool, merchant_id: str) -> list[tuple[str, str, str]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT id, status, secret FROM webhook_endpoints "
                                "WHERE merchant_id = $1 ORDER BY created_at", merchant_id)
    return [(r["id"], r["status"], r["secret"]) for r in rows]


async def _audit(pool: asyncpg.Pool, merchant_id: str) -> list[tuple[str, str | None]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT action, target_id FROM merchant_audit_log "
                                "WHERE merchant_id = $1 AND action LIKE 'webhook_endpoint.%' "
                                "ORDER BY id", merchant_id)
    return [(r["action"], r["target_id"]) for r in rows]


async def test_owner_adds_disables_enables_and_deletes_an_endpoint(
        user_of: SignIn, db_pool: asyncpg.Pool, make_merchant: MakeMerchant) -> None:
    merchant_id = await make_merchant()
    owner = await user_of(Role.OWNER, merchant_id)
    status, _, page = await owner.post("/merchant/developers/webhooks", {
        "url": HOOK, "event": "invoice.settled", "description": "till bot"})
    assert status == 200, page
    secret = SECRET.search(page)
    assert secret is not None and "till bot" in page
    [(endpoint_id, state, stored)] = await _endpoints(db_pool, merchant_id)
    assert state == "enabled" and stored.startswith("enc:")  # sealed at rest, like the API's
    _, again = await owner.get("/merchant/developers")
    assert HOOK in again and secret.group(0) not in again  # shown once
    async with db_pool.acquire() as conn:
        events = await conn.fetchval("SELECT enabled_events FROM webhook_endpoints "
                                     "WHERE id = $1", endpoint_id)
    assert list(events) == ["invoice.settled"]

    for change, expected in (("disable", "disabled"), ("disable", "disabled"),
                             ("enable", "enabled"), ("delete", "deleted")):
        status, location, _ = await owner.post(
            f"/merchant/developers/webhooks/{endpoint_id}/{change}", {})
        assert (status, location) == (303, "/merchant/developers")
        assert (await _endpoints(db_pool, merchant_id))[0][1] == expected
    _, after = await owner.get("/merchant/developers")
    assert HOOK not in after
    assert await _audit(db_pool, merchant_id) == [  # the repeated disable changed nothing
        ("webhook_endpoint.create", endpoint_id), ("webhook_endpoint.disable", endpoint_id),
        ("webhook_endpoint.enable", endpoint_id), ("webhook_endpoint.delete", endpoint_id)]
    status, _, _ = await owner.post(f"/merchant/developers/webhooks/{endpoint_id}/enable", {})
    assert status == 404


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest", "ftp://shop.example/hook",
                                 "not a url"])
async def test_the_url_is_judged_by_the_apis_own_check(
        user_of: SignIn, db_pool: asyncpg.Pool, make_merchant: MakeMerchant,
        make_api_key: Callable[..., Awaitable[str]], api_client: Callable[..., ApiClient],
        url: str) -> None:
    merchant_id = await make_merchant()
    api = await api_client(await make_api_key(merchant_id)).post(
        "/v1/webhook_endpoints", {"url": url, "enabled_events": ["*"]})
    assert api.status == 400
    manager = await user_of(Role.MANAGER, merchant_id)
    status, _, page = await manager.post("/merchant/developers/webhooks",
                                         {"url": url, "event": "*"})
    assert status == 400
    message = api.body["error"]["message"]
    assert message.replace("'", "&#39;").replace('"', "&#34;") in page
    assert f'value="{url}"' in page  # what was typed stays in the form
    assert await _endpoints(db_pool, merchant_id) == []
    assert await _audit(db_pool, merchant_id) == []


async def test_unknown_event_types_are_refused(user_of: SignIn, db_pool: asyncpg.Pool,
                                               make_merchant: MakeMerchant) -> None:
    merchant_id = await make_merchant()
    owner = await user_of(Role.OWNER, merchant_id)
    status, _, page = await owner.post("/merchant/developers/webhooks",
                                       {"url": HOOK, "event": "invoice.eaten"})
    assert status == 400 and "invoice.eaten" in page
    status, _, page = await owner.post("/merchant/developers/webhooks", {"url": HOOK})
    assert status == 400 and "enabled_events" in page
    assert await _endpoints(db_pool, merchant_id) == []


@pytest.mark.parametrize("role", [Role.CASHIER, Role.ACCOUNTANT])
async def test_roles_without_developers_get_403_and_nothing_changes(
        user_of: SignIn, db_pool: asyncpg.Pool, make_merchant: MakeMerchant,
        role: Role) -> None:
    merchant_id = await make_merchant()
    owner = await user_of(Role.OWNER, merchant_id)
    await owner.post("/merchant/developers/webhooks", {"url": HOOK, "event": "*"})
    before = await _endpoints(db_pool, merchant_id)
    [(endpoint_id, _, _)] = before
    other = await user_of(role, merchant_id)
    for path, form in (("/merchant/developers/webhooks", {"url": HOOK, "event": "*"}),
                       (f"/merchant/developers/webhooks/{endpoint_id}/disable", {}),
                       (f"/merchant/developers/webhooks/{endpoint_id}/delete", {})):
        status, _, body = await other.post(path, form)
        assert status == 403, (role, path)
        assert "whsec_" not in body
    assert await _endpoints(db_pool, merchant_id) == before
    assert [a for a, _ in await _audit(db_pool, merchant_id)] == ["webhook_endpoint.create"]


async def test_every_endpoint_form_needs_the_csrf_token(
        user_of: SignIn, db_pool: asyncpg.Pool, make_merchant: MakeMerchant) -> None:
    merchant_id = await make_merchant()
    owner = await user_of(Role.OWNER, merchant_id)
    status, _, _ = await owner.post("/merchant/developers/webhooks",
                                    {"url": HOOK, "event": "*"}, csrf=False)
    assert status == 403 and await _endpoints(db_pool, merchant_id) == []
    await owner.post("/merchant/developers/webhooks", {"url": HOOK, "event": "*"})
    [(endpoint_id, _, _)] = await _endpoints(db_pool, merchant_id)
    for change in ("disable", "delete"):
        status, _, _ = await owner.post(f"/merchant/developers/webhooks/{endpoint_id}/{change}",
                                        {"csrf_token": "x" * 43}, csrf=False)
        assert status == 403
    assert (await _endpoints(db_pool, merchant_id))[0][1] == "enabled"


async def test_another_merchants_endpoint_is_not_found(
        user_of: SignIn, db_pool: asyncpg.Pool, make_merchant: MakeMerchant) -> None:
    theirs, ours = await make_merchant(), await make_merchant()
    owner = await user_of(Role.OWNER, theirs)
    await owner.post("/merchant/developers/webhooks", {"url": HOOK, "event": "*"})
    [(endpoint_id, _, _)] = await _endpoints(db_pool, theirs)
    intruder = await user_of(Role.OWNER, ours)
    for change in ("disable", "delete"):
        status, _, _ = await intruder.post(
            f"/merchant/developers/webhooks/{endpoint_id}/{change}", {})
        assert status == 404
    assert (await _endpoints(db_pool, theirs))[0][1] == "enabled"
