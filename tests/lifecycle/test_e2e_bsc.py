"""End to end on the BNB Chain devnet: an invoice created over the API, paid with a real
signed transaction by the wallet simulator, seen by the watcher, settled and booked.

Amounts are checked by hand: 1,500.00 KZT at the fixed dev rates (BNB 300,000 KZT, USDT and
USDC 500 KZT) is 0.005 BNB or 3 tokens; the test merchant's fee is 100 bps = 15.00 KZT.
"""

from __future__ import annotations

import pytest

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

AMOUNT = 150_000  # tiyn = 1,500.00 KZT
FEE = 1_500  # 100 bps
UNITS = {"BNB": 5 * 10**15, "USDT_BSC": 3 * 10**18, "USDC_BSC": 3 * 10**18}
CODES = {"BNB": "bsc:BNB", "USDT_BSC": "bsc:USDT", "USDC_BSC": "bsc:USDC"}


@pytest.mark.parametrize("asset", ["BNB", "USDT_BSC", "USDC_BSC"])
async def test_pay_settle_and_book(asset: str, bsc_watch: WatchHandle, devnets: Devnets,
                                   merchant_client: tuple[str, ApiClient]) -> None:
    merchant_id, client = merchant_client
    invoice = await create_invoice(client, AMOUNT, ["BNB", "USDT_BSC", "USDC_BSC"])
    chosen = option(invoice, asset)
    assert int(chosen["amount_units"]) == UNITS[asset]
    await bsc_watch.wait_watched(chosen["address"])

    await pay(devnets, chosen["uri"])
    # Processing is proven by its event, not by polling for it: a watcher slowed down by a
    # loaded machine may see the payment and its finality in one step (one decision).
    settled = await bsc_watch.wait_status(invoice["id"], "settled", timeout=25)
    assert settled["amount_paid"] == AMOUNT and settled["exception"] is None

    assert await bsc_watch.events(invoice["id"]) == [
        "invoice.created", "invoice.processing", "invoice.settled"]
    assert await settlement_postings(bsc_watch.pool, invoice["id"]) == expected_postings(
        merchant_id, CODES[asset], UNITS[asset], AMOUNT, FEE)
    assert await entry_count(bsc_watch.pool, invoice["id"]) == 1
