"""Reconciliation's `refunded` per address: the units live refunds hold move out of the
bucket their transfer was in (stranded, or booked for an overpaid excess) into refunded, the
way the exceptions queue counts them; a cancelled refund gives them back. The address's
expected balance never changes: refunds leave from the hot wallets, not from it."""

from __future__ import annotations

import asyncpg

from gateway.admin.settlement import queries
from gateway.transfers.sink import TransferSink
from tests.plugins.app import ApiClient
from tests.refunds.helpers import ASKED_WEI, bsc_address, overpaid_invoice, partial_expired_invoice

AMOUNTS = ("booked", "pending", "stranded", "unmatched", "refunded", "vanished")


async def _holding(pool: asyncpg.Pool, invoice: dict[str, object]) -> dict[str, int]:
    [option] = invoice["payment_options"]  # type: ignore[misc]
    async with pool.acquire() as conn:
        rows = await queries.holdings(conn, "bsc", 2**62, False)
    [row] = [r for r in rows if r["address"] == option["address"].lower()
             and r["asset"] == "BNB"]
    return {k: int(row[k]) for k in AMOUNTS if int(row[k])}


async def test_a_stranded_payment_refunded_moves_to_refunded(
        merchant_client: tuple[str, ApiClient], sink: TransferSink,
        db_pool: asyncpg.Pool) -> None:
    client = merchant_client[1]
    invoice = await partial_expired_invoice(client, sink, db_pool)  # 0.002 BNB stranded
    assert await _holding(db_pool, invoice) == {"stranded": 2 * 10**15}
    part = await client.post(f"/v1/invoices/{invoice['id']}/refunds", {"amount": 30_000})
    assert part.body["amount_units"] == str(10**15), part.body
    assert await _holding(db_pool, invoice) == {"stranded": 10**15, "refunded": 10**15}
    rest = await client.post(f"/v1/invoices/{invoice['id']}/refunds", {})
    assert rest.status == 200, rest.body
    assert await _holding(db_pool, invoice) == {"refunded": 2 * 10**15}
    await client.post(f"/v1/refunds/{part.body['id']}/cancel", {})
    assert await _holding(db_pool, invoice) == {"stranded": 10**15, "refunded": 10**15}


async def test_a_refunded_overpaid_excess_moves_out_of_booked(
        merchant_client: tuple[str, ApiClient], sink: TransferSink,
        db_pool: asyncpg.Pool) -> None:
    client = merchant_client[1]
    invoice = await overpaid_invoice(client, sink)
    assert await _holding(db_pool, invoice) == {"booked": ASKED_WEI + ASKED_WEI // 10}
    refund = await client.post(f"/v1/invoices/{invoice['id']}/refunds",
                               {"address": bsc_address()})
    assert refund.status == 200, refund.body
    assert await _holding(db_pool, invoice) == {"booked": ASKED_WEI,
                                                "refunded": ASKED_WEI // 10}
