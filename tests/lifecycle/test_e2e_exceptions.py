"""Money not part of a sale on the BNB Chain devnet, end to end (real signed transfers, the
watcher, the lifecycle): a partial payment on an invoice that then expires, a late payment
not accepted and an overpayment are listed on the invoice (`payments`, `amount_refundable`)
and in the exceptions queue with exact figures.

Dev rates: 1,500.00 KZT is 3 USDT / 3 USDC, so 1 token is 50,000 tiyn.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg

from gateway.admin.exceptions import service as exceptions
from tests.lifecycle.test_e2e_outcomes import AMOUNT, TOKEN, backdate
from tests.plugins.app import ApiClient
from tests.plugins.devnet import Devnets
from tests.plugins.eventually import eventually
from tests.plugins.watchers import WatchHandle, create_invoice, option, pay


async def _queue(pool: asyncpg.Pool, invoice_id: str) -> list[exceptions.Item]:
    async with pool.acquire() as conn:
        found = await exceptions.page(conn, (), exceptions.Filters(invoice_id=invoice_id),
                                      None, 100)
    return found.items


async def _refundable(client: ApiClient, invoice_id: str, tiyn: int) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        body: dict[str, Any] = (await client.get(f"/v1/invoices/{invoice_id}")).body
        return body if body["amount_refundable"] == tiyn else None
    return await eventually(reached, what=f"{invoice_id} refundable {tiyn}", timeout=30)


async def test_partial_then_expired(bsc_watch: WatchHandle, devnets: Devnets,
                                    merchant_client: tuple[str, ApiClient]) -> None:
    _, client = merchant_client
    invoice = await create_invoice(client, AMOUNT, ["USDT_BSC"])
    usdt = option(invoice, "USDT_BSC")
    await bsc_watch.wait_watched(usdt["address"])
    await pay(devnets, usdt["uri"], amount=Decimal("1"))
    await bsc_watch.wait_status(invoice["id"], "new", amount_paid=50_000)
    await backdate(bsc_watch.pool, invoice["id"])
    await bsc_watch.wait_status(invoice["id"], "expired")
    body = await _refundable(client, invoice["id"], 50_000)
    [paid] = body["payments"]
    assert (paid["amount_units"], paid["value"], paid["counted"]) == (str(TOKEN), 50_000, False)
    [item] = await _queue(bsc_watch.pool, invoice["id"])
    assert (item.kind, item.units, item.value_tiyn) == ("stranded", TOKEN, 50_000)


async def test_late_payment_not_accepted(bsc_watch: WatchHandle, devnets: Devnets,
                                         merchant_client: tuple[str, ApiClient]) -> None:
    _, client = merchant_client
    invoice = await create_invoice(client, AMOUNT, ["USDT_BSC"])
    await backdate(bsc_watch.pool, invoice["id"])
    await bsc_watch.wait_status(invoice["id"], "expired")
    await pay(devnets, option(invoice, "USDT_BSC")["uri"])
    await bsc_watch.wait_status(invoice["id"], "expired", amount_paid=AMOUNT)
    await _refundable(client, invoice["id"], AMOUNT)
    [item] = await _queue(bsc_watch.pool, invoice["id"])
    assert (item.kind, item.units, item.value_tiyn) == ("stranded", 3 * TOKEN, AMOUNT)


async def test_overpaid_excess(bsc_watch: WatchHandle, devnets: Devnets,
                               merchant_client: tuple[str, ApiClient]) -> None:
    _, client = merchant_client
    invoice = await create_invoice(client, AMOUNT, ["USDC_BSC"])
    usdc = option(invoice, "USDC_BSC")
    await bsc_watch.wait_watched(usdc["address"])
    await pay(devnets, usdc["uri"], amount=Decimal("4"))
    await bsc_watch.wait_status(invoice["id"], "settled")
    await _refundable(client, invoice["id"], 50_000)  # 4 USDC = 200,000 tiyn for 150,000
    [item] = await _queue(bsc_watch.pool, invoice["id"])
    assert (item.kind, item.value_tiyn) == ("overpaid", 50_000)
