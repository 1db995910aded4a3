"""Test mode: a `ccp_test_` key (made on the developers page) creates invoices that say
`livemode: false`; a live key's say true. (That a paid test invoice is never booked is in
test_solana_pay.py, on the devnet with the real watchers.)"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import asyncpg

from gateway.merchants.apikeys import well_formed
from gateway.portal.roles import Role
from tests.plugins.app import ApiClient, RunningApp
from tests.portal.support import client, make_user

MakeMerchant = Callable[..., Awaitable[str]]


async def test_test_keys_make_test_invoices(app_server: RunningApp, db_pool: asyncpg.Pool,
                                            make_merchant: MakeMerchant,
                                            api_client: Callable[..., ApiClient]) -> None:
    merchant_id = await make_merchant()
    owner = client(app_server.url)
    try:
        await owner.sign_in(await make_user(db_pool, merchant_id, Role.OWNER))
        await owner.get("/merchant/developers")
        _, _, test_page = await owner.post("/merchant/developers/keys", {"mode": "test"})
        _, _, live_page = await owner.post("/merchant/developers/keys", {})
        _, listing = await owner.get("/merchant/developers?lang=en")
    finally:
        await owner.http.close()
    test_key = re.search(r"ccp_test_[A-Za-z0-9]{40}", test_page)
    live_key = re.search(r"ccp_live_[A-Za-z0-9]{40}", live_page)
    assert test_key is not None and live_key is not None
    assert well_formed(test_key.group(0)) and "test mode" in listing
    for key, livemode in ((test_key.group(0), False), (live_key.group(0), True)):
        api = api_client(key)
        created = await api.post("/v1/invoices", {"amount": 10_000, "currency": "KZT"})
        assert created.status == 200, created.body
        assert created.body["livemode"] is livemode
        fetched = await api.get(f"/v1/invoices/{created.body['id']}")
        assert fetched.body["livemode"] is livemode
        async with db_pool.acquire() as conn:
            stored = await conn.fetchval("SELECT livemode FROM invoices WHERE id = $1",
                                         created.body["id"])
        assert stored is livemode
