"""Offline signing through the console, on the devnets: the sender (REFUND_SIGNER=offline)
builds a refund's transaction, an administrator reads it on the refund's page, signs it
outside (eth_account here, with the refund wallet's key), pastes the signed bytes; a wrong
signature is refused with nothing stored, the right one is broadcast and the refund
succeeds with the exact units at the shopper's address."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import asyncpg
import pytest
from eth_account import Account
from playwright.async_api import Browser, Page, expect

from gateway.admin import auth
from gateway.refunds.sending import offline
from gateway.refunds.sending.errors import NotAwaitingSignature
from gateway.refunds.sending.network import Network
from tests.plugins.app import RunningApp
from tests.plugins.devnet import Devnets, fresh_bsc_address
from tests.plugins.eventually import eventually
from tests.refunds.sending.conftest import refund_wallets, running_sender  # noqa: F401
from tests.refunds.sending.support import Wallets, bnb_balance, insert_refund, sender_settings

PASSWORD = "correct horse battery"


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900},
                                        locale="en-US")
    opened = await context.new_page()
    opened.set_default_timeout(15_000)
    try:
        yield opened
    finally:
        await context.close()


def sign(fields: dict[str, Any], key: str) -> str:
    tx = {**fields, "data": bytes.fromhex(fields["data"].removeprefix("0x"))}
    return "0x" + bytes(Account.sign_transaction(tx, key).raw_transaction).hex()


async def built(pool: asyncpg.Pool, refund_id: str,
                networks: Mapping[str, Network]) -> offline.UnsignedRefund:
    async def check() -> offline.UnsignedRefund | None:
        async with pool.acquire() as conn:
            try:
                return await offline.unsigned_transaction(conn, refund_id, networks=networks)
            except NotAwaitingSignature:
                return None

    return await eventually(check, what=f"{refund_id} built", timeout=60)


async def test_offline_signing_hand_off_in_the_console(
        app_server: RunningApp, db_pool: asyncpg.Pool, devnets: Devnets, database_url: str,
        refund_wallets: Wallets, make_merchant: Callable[..., Awaitable[str]],  # noqa: F811
        page: Page) -> None:
    admin = f"signer-{secrets.token_hex(3)}"
    address, units = fresh_bsc_address(), 12_300_000_000_000_045
    async with db_pool.acquire() as conn:
        await auth.create_user(conn, admin, PASSWORD, auth.Role.ADMIN)
        refund_id = await insert_refund(conn, await make_merchant(), asset="BNB",
                                        address=address, stranded_units=units)
    settings = sender_settings(devnets, database_url, refund_wallets, signer="offline")
    async with running_sender(db_pool, settings) as sender:
        await built(db_pool, refund_id, sender.networks)
        await page.goto(f"{app_server.url}/admin/refunds/{refund_id}")
        await page.fill("input[name=username]", admin)
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button[type=submit]")
        await expect(page.locator("[data-testid=signer]")).to_have_text(
            refund_wallets.bsc.address)
        unsigned = await page.locator("[data-testid=unsigned-tx]").input_value()
        assert unsigned.startswith("0x")
        fields = json.loads(await page.locator("[data-testid=unsigned-fields]").inner_text())
        assert (fields["to"], fields["value"]) == (address, units)

        await page.fill("textarea[name=signed]", sign(fields, Account.create().key.hex()))
        await page.get_by_role("button", name="Submit signed transaction").click()
        await expect(page.locator("main")).to_contain_text("signed")
        async with db_pool.acquire() as conn:
            assert await conn.fetchval("SELECT tx_hash FROM refunds WHERE id = $1",
                                       refund_id) is None

        await page.goto(f"{app_server.url}/admin/refunds/{refund_id}")
        await page.fill("textarea[name=signed]", sign(fields, refund_wallets.bsc_key))
        await page.get_by_role("button", name="Submit signed transaction").click()
        await expect(page.locator(".notice")).to_contain_text("Signed transaction received")

        async def succeeded() -> bool:
            async with db_pool.acquire() as conn:
                status: str = await conn.fetchval("SELECT status FROM refunds WHERE id = $1",
                                                  refund_id)
            return status == "succeeded"

        await eventually(succeeded, what=f"{refund_id} succeeded", timeout=120)
    await page.reload()
    await expect(page.locator("h1 [data-testid=refund-status]")).to_have_text("succeeded")
    tx = await page.locator("[data-testid=refund-tx]").inner_text()
    assert tx.startswith("0x") and len(tx) == 66
    assert await bnb_balance(devnets, address) == units
    async with db_pool.acquire() as conn:
        actions = [r["action"] for r in await conn.fetch(
            "SELECT action FROM admin_audit_log WHERE target_id = $1", refund_id)]
    assert actions == ["refund.signed"]
