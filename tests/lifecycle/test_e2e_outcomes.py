"""Payment outcomes on the BNB Chain devnet, end to end (API -> signed transfers -> watcher ->
invoice state, events, ledger): partial then top-up, overpayment, split transfers, late
payments with and without auto-accept, and assets the invoice did not offer.

Dev rates: 1,500.00 KZT is 3 USDT / 3 USDC or 0.005 BNB; the test merchant's fee is 100 bps.
"""

from __future__ import annotations

from decimal import Decimal

import asyncpg
import pytest

from gateway.devnet import bsc as devnet_bsc
from gateway.payments.uri import eip681_native, eip681_token
from tests.plugins.app import ApiClient
from tests.plugins.devnet import Devnets
from tests.plugins.watchers import (
    WatchHandle,
    create_invoice,
    entry_count,
    expected_postings,
    option,
    pay,
    settlement_postings,
)

AMOUNT = 150_000
TOKEN = 10**18


async def transfers(pool: asyncpg.Pool, invoice_id: str) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return list(await conn.fetch(
            "SELECT * FROM chain_transfers WHERE invoice_id = $1 ORDER BY id", invoice_id))


async def backdate(pool: asyncpg.Pool, invoice_id: str, late_window: str = "0") -> None:
    """Make the invoice expire a minute ago (the API's minimum expiry is 60 s)."""
    async with pool.acquire() as conn:
        await conn.execute(
            """UPDATE invoices SET created_at = now() - interval '10 minutes',
                      expires_at = now() - interval '1 minute',
                      late_accept_window = $2::text::interval WHERE id = $1""",
            invoice_id, late_window)


async def test_partial_then_top_up(bsc_watch: WatchHandle, devnets: Devnets,
                                   merchant_client: tuple[str, ApiClient]) -> None:
    _, client = merchant_client
    invoice = await create_invoice(client, AMOUNT, ["USDT_BSC"])
    usdt = option(invoice, "USDT_BSC")
    await bsc_watch.wait_watched(usdt["address"])
    await pay(devnets, usdt["uri"], amount=Decimal("1"))
    partial = await bsc_watch.wait_status(invoice["id"], "new", amount_paid=50_000)
    assert partial["exception"] == "paid_partial"
    await pay(devnets, usdt["uri"], amount=Decimal("2"))
    settled = await bsc_watch.wait_status(invoice["id"], "settled")
    assert settled["amount_paid"] == AMOUNT and settled["exception"] is None
    assert await bsc_watch.events(invoice["id"]) == [
        "invoice.created", "invoice.paid_partial", "invoice.processing", "invoice.settled"]
    assert ("custody:bsc:USDT", "debit", 3 * TOKEN) in await settlement_postings(
        bsc_watch.pool, invoice["id"])


async def test_overpayment_books_the_invoice_amount(
        bsc_watch: WatchHandle, devnets: Devnets,
        merchant_client: tuple[str, ApiClient]) -> None:
    merchant_id, client = merchant_client
    invoice = await create_invoice(client, AMOUNT, ["USDC_BSC"])
    usdc = option(invoice, "USDC_BSC")
    await bsc_watch.wait_watched(usdc["address"])
    await pay(devnets, usdc["uri"], amount=Decimal("4"))
    settled = await bsc_watch.wait_status(invoice["id"], "settled")
    assert settled["exception"] == "paid_over" and settled["amount_paid"] == 200_000
    # All 4 USDC are in custody; the merchant is owed the 1,500.00 KZT sale, less the fee;
    # the extra 1 USDC stays in the FX position, refundable.
    assert await settlement_postings(bsc_watch.pool, invoice["id"]) == expected_postings(
        merchant_id, "bsc:USDC", 4 * TOKEN, AMOUNT, 1_500)


async def test_two_split_transfers(bsc_watch: WatchHandle, devnets: Devnets,
                                   merchant_client: tuple[str, ApiClient]) -> None:
    _, client = merchant_client
    invoice = await create_invoice(client, AMOUNT, ["BNB"])
    bnb = option(invoice, "BNB")
    await bsc_watch.wait_watched(bnb["address"])
    hashes = await pay(devnets, bnb["uri"], split=2)
    await bsc_watch.wait_status(invoice["id"], "settled")
    stored = await transfers(bsc_watch.pool, invoice["id"])
    assert sorted(t["tx_hash"] for t in stored) == sorted(hashes)
    assert [t["log_index"] for t in stored] == [-1, -1]
    assert sum(int(t["amount"]) for t in stored) == 5 * 10**15
    assert ("custody:bsc:BNB", "debit", 5 * 10**15) in await settlement_postings(
        bsc_watch.pool, invoice["id"])
    assert await entry_count(bsc_watch.pool, invoice["id"]) == 1


async def test_late_payment_is_left_for_a_decision(
        bsc_watch: WatchHandle, devnets: Devnets,
        merchant_client: tuple[str, ApiClient]) -> None:
    _, client = merchant_client
    invoice = await create_invoice(client, AMOUNT, ["USDT_BSC"])
    await backdate(bsc_watch.pool, invoice["id"])
    await bsc_watch.wait_status(invoice["id"], "expired")
    await pay(devnets, option(invoice, "USDT_BSC")["uri"])
    late = await bsc_watch.wait_status(invoice["id"], "expired", amount_paid=AMOUNT)
    assert late["exception"] == "paid_late"
    assert await bsc_watch.events(invoice["id"]) == [
        "invoice.created", "invoice.expired", "invoice.paid_late"]
    assert await entry_count(bsc_watch.pool, invoice["id"]) == 0


async def test_late_payment_within_the_window_is_accepted(
        bsc_watch: WatchHandle, devnets: Devnets,
        merchant_client: tuple[str, ApiClient]) -> None:
    _, client = merchant_client
    invoice = await create_invoice(client, AMOUNT, ["BNB"])
    await backdate(bsc_watch.pool, invoice["id"], late_window="1 hour")
    await bsc_watch.wait_status(invoice["id"], "expired")
    await pay(devnets, option(invoice, "BNB")["uri"])
    settled = await bsc_watch.wait_status(invoice["id"], "settled")
    assert settled["exception"] == "paid_late"
    assert await bsc_watch.events(invoice["id"]) == [
        "invoice.created", "invoice.expired", "invoice.paid_late", "invoice.processing",
        "invoice.settled"]
    assert ("fx_position:KZT", "debit", AMOUNT) in await settlement_postings(
        bsc_watch.pool, invoice["id"])


@pytest.mark.parametrize(("offered", "sent"), [(["BNB"], "USDT"), (["USDT_BSC"], "BNB")])
async def test_wrong_asset_is_recorded_not_credited(
        offered: list[str], sent: str, bsc_watch: WatchHandle, devnets: Devnets,
        merchant_client: tuple[str, ApiClient]) -> None:
    _, client = merchant_client
    invoice = await create_invoice(client, AMOUNT, offered)
    address = invoice["payment_options"][0]["address"]
    await bsc_watch.wait_watched(address)
    uri = (eip681_native(address, 5 * 10**15) if sent == "BNB"
           else eip681_token(devnet_bsc.USDT_ADDRESS, address, 3 * TOKEN))
    await pay(devnets, uri)
    stored = await bsc_watch.wait_transfers(invoice["id"], 1)
    assert [(t["disposition"], t["asset"]) for t in stored] == [
        ("wrong_asset", "BNB" if sent == "BNB" else "USDT_BSC")]
    row = await bsc_watch.invoice(invoice["id"])
    assert (row["status"], row["amount_paid"]) == ("new", 0)
    async with bsc_watch.pool.acquire() as conn:
        unmatched = await conn.fetch("SELECT * FROM unmatched_payments WHERE invoice_id = $1",
                                     invoice["id"])
    assert len(unmatched) == 1
    assert await bsc_watch.events(invoice["id"]) == ["invoice.created"]
