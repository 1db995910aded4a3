"""A worked example of refunds on the merchant statement, through the refunds service and
the sender's outcomes (signed, broadcast, final; no chain needed for the books).

Hand figures (the test app's BNB rate is 300,000.00 KZT per BNB, locked and current):
- a settled sale of 1,500.00 KZT (0.005 BNB); the merchant refunds 123.45 KZT of it at the
  current rate: 12,345 tiyn / 30,000,000 tiyn per BNB = 0.0004115 BNB = 411,500,000,000,000
  wei; the payable is debited exactly 12,345 tiyn, the statement's refunds line says 12,345
  and closing = net sales - 12,345;
- a partial payment of 0.002 BNB (600.00 KZT) to an invoice that then expired, refunded in
  kind: 2,000,000,000,000,000 wei go back, nothing touches the payable (refunds stays 12,345).
The zone summary's bsc:BNB row of the day gains, per refund final: one refund, its units and
its sale part in tiyn (411,500,000,000,000 wei and 12,345 tiyn; then 2,000,000,000,000,000
wei and 0 tiyn), its invoice figures untouched.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from gateway.refunds.sending import outcomes
from gateway.refunds.service import approve_refund
from gateway.transfers.sink import TransferSink
from settlement import ledger
from settlement.batches.calendar import CutoffCalendar
from settlement.reports.service import Statement, SummaryRow, statement, zone_summary
from tests.plugins.app import ApiClient
from tests.refunds.helpers import ASKED_WEI, bsc_address, new_invoice, partial_expired_invoice, pay

FEE_WEI = 21_000 * 10**9


async def _send(pool: asyncpg.Pool, refund: dict[str, object]) -> None:
    """Approve if needed, then the sender's outcomes: signed, broadcast, final."""
    refund_id = str(refund["id"])
    async with pool.acquire() as conn, conn.transaction():
        if refund["status"] == "pending_approval":
            await approve_refund(conn, refund_id=refund_id, admin="adm_worked_example")
        await outcomes.on_signed(conn, refund_id=refund_id, tx_hash=f"0x{refund_id[-8:]:0>64}")
        await outcomes.on_broadcast(conn, refund_id=refund_id)
        await outcomes.on_final(conn, refund_id=refund_id, fee_units=FEE_WEI)


async def _statement(pool: asyncpg.Pool, merchant_id: str, start: datetime) -> Statement:
    async with pool.acquire() as conn:
        return await statement(conn, merchant_id, start,
                               datetime.now(UTC) + timedelta(minutes=1))


async def _bnb_today(pool: asyncpg.Pool) -> tuple[int, ...]:
    calendar = CutoffCalendar.create()
    today = calendar.business_day_of(datetime.now(UTC))
    async with pool.acquire() as conn:
        rows = await zone_summary(conn, calendar, today, today)
    row = next((r for r in rows if (r.chain, r.asset) == ("bsc", "BNB")),
               SummaryRow(today, "bsc", "BNB", 0, 0, 0, 0, 0))
    return (row.invoice_count, row.crypto_volume, row.kzt_volume, row.refund_count,
            row.refunded_units, row.refunds_kzt)


def _delta(after: tuple[int, ...], before: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(a - b for a, b in zip(after, before, strict=True))


async def _payable(pool: asyncpg.Pool, merchant_id: str) -> int:
    async with pool.acquire() as conn:
        return int((await ledger.balance(conn, f"merchant_payable:{merchant_id}")).amount)


async def test_sale_and_stranded_refunds_on_the_statement(
        merchant_client: tuple[str, ApiClient], sink: TransferSink,
        db_pool: asyncpg.Pool) -> None:
    merchant_id, client = merchant_client
    start = datetime.now(UTC) - timedelta(minutes=1)
    async with db_pool.acquire() as conn:
        trial = {k: v for k, v in (await ledger.trial_balance(conn)).items() if v}
    sale = await new_invoice(client)
    await pay(sink, sale, ASKED_WEI)
    settled = await _statement(db_pool, merchant_id, start)
    assert (settled.sales_count, settled.gross, settled.refunds) == (1, 150_000, 0)
    assert settled.closing == settled.net_sales == 150_000 - settled.fees

    created = await client.post(f"/v1/invoices/{sale['id']}/refunds",
                                {"amount": 12_345, "rate": "current",
                                 "address": bsc_address()})
    assert created.status == 200, created.body
    refund = created.body
    assert (refund["amount"], refund["amount_units"], refund["rate"]) == (
        12_345, "411500000000000", "300000"), refund
    before = await _bnb_today(db_pool)
    await _send(db_pool, refund)
    assert _delta(await _bnb_today(db_pool), before) == (0, 0, 0, 1, 411_500_000_000_000,
                                                         12_345)
    after_sale = await _statement(db_pool, merchant_id, start)
    assert (after_sale.refunds, after_sale.closing) == (12_345,
                                                        settled.net_sales - 12_345)
    assert await _payable(db_pool, merchant_id) == settled.closing - 12_345

    stranded = await partial_expired_invoice(client, sink, db_pool)
    created = await client.post(f"/v1/invoices/{stranded['id']}/refunds",
                                {"address": bsc_address()})
    assert created.status == 200, created.body
    assert (created.body["amount"], created.body["amount_units"]) == (
        60_000, "2000000000000000"), created.body
    before = await _bnb_today(db_pool)
    await _send(db_pool, created.body)
    assert _delta(await _bnb_today(db_pool), before) == (0, 0, 0, 1, 2 * 10**15, 0)
    after_stranded = await _statement(db_pool, merchant_id, start)
    assert (after_stranded.refunds, after_stranded.closing) == (12_345,
                                                                after_sale.closing)
    assert await _payable(db_pool, merchant_id) == after_sale.closing
    async with db_pool.acquire() as conn:
        after = {k: v for k, v in (await ledger.trial_balance(conn)).items() if v}
    assert after == trial  # every refund entry balances per currency
