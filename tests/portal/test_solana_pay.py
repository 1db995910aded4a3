"""Point of sale charges paid on the real Solana devnet, seen by the app's real watchers.

- A Solana wallet pays a terminal's current charge from the stand sticker's transaction
  request: GET gives the label and icon, POST {"account"} an unsigned transaction; the devnet
  wallet signs and sends it and the charge settles. A terminal without a charge, or a bad
  account, is a message for the wallet.
- A cashier charges on a 360 px phone, the customer view's QR (cropped from a screenshot)
  decodes to the exact payment URI, the shopper simulator pays it, and the screen turns to
  the receipt.
- A test invoice (ccp_test_ key) paid on the devnet settles but is never booked: no journal
  entry, so nothing in settlement batches, payouts or zone reports.
"""

from __future__ import annotations

import asyncio
import base64
import io
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from typing import Any

import aiohttp
import asyncpg
import pytest
import structlog
import zxingcpp
from PIL import Image
from playwright.async_api import Page, expect
from solders.transaction import Transaction

from gateway.devnet.solana.constants import wallet_keypair
from gateway.devnet.solana.wallet import pay_uri as pay_solana
from gateway.merchants import service as merchants
from gateway.portal.roles import Role
from tests.browser.test_checkout_paying import FAST_CHAINS, PAID_TIMEOUT_MS
from tests.plugins.app import ApiClient, RunningApp, running_app, settings_for_tests
from tests.plugins.browser import watch_errors
from tests.plugins.devnet import Devnets
from tests.plugins.diagnostics import chain_report
from tests.plugins.solana_devnet import rpc_result
from tests.portal.support import PASSWORD, client, make_user

MakeMerchant = Callable[..., Awaitable[str]]
SETTLE_TIMEOUT_S = 60
Logs = list[MutableMapping[str, Any]]


@pytest.fixture(scope="module")
def logs() -> Iterator[Logs]:
    """This module's log events (its app's watchers' included, from their start), for
    `chain_report`."""
    with structlog.testing.capture_logs() as captured:
        yield captured


@pytest.fixture(scope="module")
async def solana_app(devnets: Devnets, database_url: str,
                     tmp_path_factory: pytest.TempPathFactory,
                     logs: Logs) -> AsyncIterator[RunningApp]:
    if devnets.solana_rpc_url is None or devnets.solana_treasury is None:
        pytest.fail("the Solana devnet did not start (see docs/devnets.md)")
    settings = settings_for_tests(
        database_url, tmp_path_factory.mktemp("portal-solana-pay"),
        bsc_rpc_url=devnets.bsc_rpc_url, solana_rpc_url=devnets.solana_rpc_url,
        solana_treasury=devnets.solana_treasury,
        solana_usdt_mint=devnets.solana_mints["USDT"],
        solana_usdc_mint=devnets.solana_mints["USDC"],
        solana_kzte_mint=devnets.solana_mints["KZTE"], chains=FAST_CHAINS,
    )
    async with running_app(settings) as app:
        yield app


async def _status(pool: asyncpg.Pool, invoice_id: str) -> str:
    async with pool.acquire() as conn:
        status: str = await conn.fetchval("SELECT status FROM invoices WHERE id = $1",
                                          invoice_id)
    return status


async def _wait_settled(app: RunningApp, pool: asyncpg.Pool, invoice_id: str,
                        logs: Logs) -> None:
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while (status := await _status(pool, invoice_id)) != "settled":
        if time.monotonic() > deadline:
            report = await chain_report(app.url, pool, "solana", logs)
            raise AssertionError(f"{invoice_id} is {status} after {SETTLE_TIMEOUT_S} s\n{report}")
        await asyncio.sleep(0.2)


async def test_wallet_pays_the_current_charge_from_the_sticker(
        solana_app: RunningApp, devnets: Devnets, db_pool: asyncpg.Pool,
        make_merchant: MakeMerchant, logs: Logs) -> None:
    assert devnets.solana_rpc_url is not None
    merchant_id = await make_merchant(name="Coffee Almaty")
    manager = client(solana_app.url)
    try:
        await manager.sign_in(await make_user(db_pool, merchant_id, Role.MANAGER))
        await manager.get("/merchant/terminals")
        await manager.post("/merchant/terminals", {"name": "Terrace"})
        async with db_pool.acquire() as conn:
            terminal_id = await conn.fetchval(
                "SELECT id FROM pos_terminals WHERE merchant_id = $1", merchant_id)
        endpoint = f"{solana_app.url}/t/{terminal_id}/solana-pay"
        async with aiohttp.ClientSession() as wallet_http:
            async with wallet_http.post(endpoint, json={"account": "x"}) as resp:
                assert resp.status in (400, 404) and "message" in await resp.json()
            _, sticker = await manager.get(f"/merchant/terminals/{terminal_id}/sticker")
            assert f"solana:{endpoint}" in sticker
            _, keypad = await manager.get(f"/pos/t/{terminal_id}")
            charge_id = keypad.split('name="charge_id" value="', 1)[1].split('"', 1)[0]
            status, location, _ = await manager.post(
                f"/pos/t/{terminal_id}/charge", {"charge_id": charge_id, "amount": "2500"})
            assert status == 303, location
            invoice_id = location.rsplit("/", 1)[1]

            async with wallet_http.get(endpoint) as resp:
                label = await resp.json()
                assert resp.headers["Access-Control-Allow-Origin"] == "*"
            assert label["label"] == "Coffee Almaty · Terrace" and label["icon"].endswith(".svg")
            payer = wallet_keypair(1)
            async with wallet_http.post(endpoint + "?asset=SOL",
                                        json={"account": str(payer.pubkey())}) as resp:
                assert resp.status == 200, await resp.text()
                answer = await resp.json()
        tx = Transaction.from_bytes(base64.b64decode(answer["transaction"]))
        assert tx.message.account_keys[0] == payer.pubkey()  # the wallet pays the fee
        tx.sign([payer], tx.message.recent_blockhash)
        await rpc_result(devnets.solana_rpc_url, "sendTransaction",
                         [base64.b64encode(bytes(tx)).decode(), {"encoding": "base64"}])
        await _wait_settled(solana_app, db_pool, invoice_id, logs)
    finally:
        await manager.http.close()


async def test_cashier_charge_paid_by_the_simulator_on_the_devnet(
        solana_app: RunningApp, devnets: Devnets, db_pool: asyncpg.Pool,
        make_merchant: MakeMerchant, phone_page: Page, logs: Logs) -> None:
    assert devnets.solana_rpc_url is not None
    merchant_id = await make_merchant(name="Coffee Almaty")
    manager = client(solana_app.url)
    try:
        await manager.sign_in(await make_user(db_pool, merchant_id, Role.MANAGER))
        await manager.get("/merchant/terminals")
        await manager.post("/merchant/terminals", {"name": "Till 1"})
    finally:
        await manager.http.close()
    cashier_email = await make_user(db_pool, merchant_id, Role.CASHIER)
    page = phone_page
    errors = watch_errors(page)
    await page.goto(f"{solana_app.url}/merchant/login?lang=en")
    await page.get_by_label("Email").fill(cashier_email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    for key in ("1", "2", "0", "0"):
        await page.locator(f'button.key[data-key="{key}"]').click()
    await page.get_by_role("button", name="Charge").click()
    await page.get_by_role("link", name="SOL solana").click()
    await expect(page.locator("#amount-asset")).to_contain_text("SOL")
    invoice_id = page.url.split("?")[0].rsplit("/", 1)[1]
    async with db_pool.acquire() as conn:
        uri = await conn.fetchval("SELECT uri FROM invoice_payment_options "
                                  "WHERE invoice_id = $1 AND asset = 'SOL'", invoice_id)
    await expect(page.locator("#qr")).to_be_visible()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(await page.locator("#qr").screenshot())))
    texts = {str(code.text) for code in found}
    assert len(texts) == 1, texts
    scanned = texts.pop()
    assert scanned == uri
    await pay_solana(scanned, rpc_url=devnets.solana_rpc_url, wallet=2)
    try:
        await expect(page.locator("#receipt-status")).to_have_text("Paid",
                                                                   timeout=PAID_TIMEOUT_MS)
    except AssertionError as unpaid:
        report = await chain_report(solana_app.url, db_pool, "solana", logs)
        raise AssertionError(f"{invoice_id} is {await _status(db_pool, invoice_id)}\n"
                             f"{report}") from unpaid
    assert await _status(db_pool, invoice_id) == "settled"
    assert errors.messages == []


async def test_a_paid_test_invoice_is_never_booked(
        solana_app: RunningApp, devnets: Devnets, db_pool: asyncpg.Pool,
        make_merchant: MakeMerchant, api_client: Callable[..., ApiClient],
        logs: Logs) -> None:
    assert devnets.solana_rpc_url is not None
    merchant_id = await make_merchant()
    async with db_pool.acquire() as conn:
        test_key = await merchants.issue_api_key(conn, merchant_id, solana_app.settings
                                                 .api_key_pepper, livemode=False)
    api = api_client(test_key.secret, server=solana_app)
    created = await api.post("/v1/invoices", {"amount": 40_000, "assets": ["SOL"]})
    assert created.status == 200 and created.body["livemode"] is False, created.body
    invoice_id = created.body["id"]
    await pay_solana(created.body["payment_options"][0]["uri"],
                     rpc_url=devnets.solana_rpc_url, wallet=3)
    await _wait_settled(solana_app, db_pool, invoice_id, logs)
    async with db_pool.acquire() as conn:
        entries = await conn.fetchval(
            "SELECT count(*) FROM journal_entries WHERE reference = $1", invoice_id)
        in_batches = await conn.fetchval(
            "SELECT count(*) FROM settlement_batch_items WHERE invoice_id = $1", invoice_id)
    assert (entries, in_batches) == (0, 0)  # nothing to settle, pay out or report
