"""Settlement batches on the real ledger: worked examples with hand-checked tiyn amounts."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from settlement import ledger
from settlement.batches import service as batches
from settlement.batches.calendar import CutoffCalendar
from settlement.batches.errors import BusinessDayNotOver, IllegalBatchTransition
from settlement.batches.states import BatchStatus
from settlement.fees.service import fee_for_invoice, set_fee_schedule
from tests.settlement_flow.helpers import (
    calendar_ending_at,
    db_now,
    merchant_id,
    payable,
    refund,
    settle_invoice,
)

USDT = 10**18  # one BEP-20 USDT in base units
SOL = 10**9


async def _close_now(conn: asyncpg.Connection, merchants: list[str]) -> batches.CloseResult:
    """Close the business day that ends right now (a calendar cut at this instant)."""
    cut = await db_now(conn)
    calendar = calendar_ending_at(cut)
    day = calendar.business_day_of(cut - timedelta(microseconds=1))
    return await batches.close_business_day(conn, calendar, day, merchant_ids=merchants)


async def test_three_sales_two_assets_fee_change_mid_period(conn: asyncpg.Connection) -> None:
    m = merchant_id()
    await set_fee_schedule(conn, m, bps=150, fixed=5_000, minimum=0)
    # 10,000.00 KZT: 1.5% = 15,000 tiyn + 50 KZT fixed = 20,000 tiyn.
    fee1 = await fee_for_invoice(conn, m, None, 1_000_000)
    s1 = await settle_invoice(conn, m, asset="bsc:USDT", units=20 * USDT,
                              kzt_gross=1_000_000, fee=fee1)
    # 43,333.33 KZT: 1.5% = 64,999.995 -> 65,000 (half up) + 5,000 = 70,000 tiyn.
    fee2 = await fee_for_invoice(conn, m, None, 4_333_333)
    await settle_invoice(conn, m, asset="solana:SOL", units=SOL // 2, kzt_gross=4_333_333,
                         fee=fee2)
    await set_fee_schedule(conn, m, bps=100, fixed=0, minimum=30_000)
    # 750.50 KZT: 1% = 750.5 -> 751 tiyn, below the 300 KZT minimum: 30,000 tiyn.
    fee3 = await fee_for_invoice(conn, m, None, 75_050)
    await settle_invoice(conn, m, asset="bsc:USDT", units=3 * USDT // 2, kzt_gross=75_050,
                         fee=fee3)
    assert (fee1, fee2, fee3) == (20_000, 70_000, 30_000)
    # The first sale's moment still answers with the first schedule: history is not rewritten.
    assert await fee_for_invoice(conn, m, s1.created_at, 1_000_000) == 20_000

    result = await _close_now(conn, [m])
    [batch] = result.closed
    assert batch.status is BatchStatus.CLOSED
    assert batch.invoice_count == 3
    assert batch.gross == 1_000_000 + 4_333_333 + 75_050 == 5_408_383
    assert batch.fees == 120_000
    assert batch.net == batch.payout_amount == 980_000 + 4_263_333 + 45_050 == 5_288_383
    assert await payable(conn, m) == 0
    postings = await ledger.entry_postings(conn, batch.payout_entry_id or 0)
    assert {(p.account.code, p.direction.value, p.amount.amount) for p in postings} == {
        (f"merchant_payable:{m}", "debit", 5_288_383),
        ("payouts_in_transit", "credit", 5_288_383),
    }


async def test_closing_is_idempotent_and_refuses_an_unfinished_day(
    conn: asyncpg.Connection,
) -> None:
    m = merchant_id()
    await settle_invoice(conn, m, units=USDT, kzt_gross=500_000, fee=5_000)
    first = await _close_now(conn, [m])
    again = await batches.close_batch(conn, first.closed[0].id)
    assert again == first.closed[0]
    calendar = CutoffCalendar.create("Asia/Almaty")
    today = calendar.business_day_of(await db_now(conn))
    with pytest.raises(BusinessDayNotOver):
        await batches.close_business_day(conn, calendar, today, merchant_ids=[m])


def test_almaty_midnight_and_cutoff_boundaries() -> None:
    midnight = CutoffCalendar.create("Asia/Almaty")
    # Almaty is UTC+5 since 2024-03-01 (UTC+6 before): local midnight is 19:00Z / 18:00Z.
    assert midnight.business_day_of(datetime(2024, 6, 10, 18, 59, 59, tzinfo=UTC)) == date(
        2024, 6, 10)
    assert midnight.business_day_of(datetime(2024, 6, 10, 19, 0, 0, tzinfo=UTC)) == date(
        2024, 6, 11)
    assert midnight.business_day_of(datetime(2024, 2, 10, 17, 59, 59, tzinfo=UTC)) == date(
        2024, 2, 10)
    assert midnight.business_day_of(datetime(2024, 2, 10, 18, 0, 0, tzinfo=UTC)) == date(
        2024, 2, 11)
    assert midnight.period(date(2024, 6, 11)) == (
        datetime(2024, 6, 10, 19, tzinfo=UTC), datetime(2024, 6, 11, 19, tzinfo=UTC))
    evening = CutoffCalendar.create("Asia/Almaty", timedelta(hours=18))
    assert evening.business_day_of(datetime(2024, 6, 10, 12, 59, 59, tzinfo=UTC)) == date(
        2024, 6, 10)
    assert evening.business_day_of(datetime(2024, 6, 10, 13, 0, 0, tzinfo=UTC)) == date(
        2024, 6, 11)
    assert evening.period(date(2024, 6, 11)) == (
        datetime(2024, 6, 10, 13, tzinfo=UTC), datetime(2024, 6, 11, 13, tzinfo=UTC))
    assert evening.last_closed_day(datetime(2024, 6, 11, 13, 0, tzinfo=UTC)) == date(2024, 6, 11)


async def test_entries_on_both_sides_of_the_cutoff(conn: asyncpg.Connection) -> None:
    m = merchant_id()
    # 10,000.00 KZT at 1%: net 990,000 tiyn, before the cut-off.
    before = await settle_invoice(conn, m, units=20 * USDT, kzt_gross=1_000_000, fee=10_000)
    cut = await db_now(conn)
    # 20,000.00 KZT at 1%: net 1,980,000 tiyn, after it.
    after = await settle_invoice(conn, m, units=40 * USDT, kzt_gross=2_000_000, fee=20_000)
    calendar = calendar_ending_at(cut)
    day = calendar.business_day_of(before.created_at)
    assert calendar.business_day_of(after.created_at) == day + timedelta(days=1)
    [first] = (await batches.close_business_day(conn, calendar, day, merchant_ids=[m])).closed
    assert (first.invoice_count, first.gross, first.fees, first.net) == (
        1, 1_000_000, 10_000, 990_000)
    assert await payable(conn, m) == 1_980_000
    end = await db_now(conn)
    second = await batches.close_period(conn, day + timedelta(days=1), cut, end,
                                        merchant_ids=[m])
    assert [(b.invoice_count, b.net) for b in second.closed] == [(1, 1_980_000)]
    assert await payable(conn, m) == 0


async def test_negative_payable_is_carried_forward(conn: asyncpg.Connection) -> None:
    m = merchant_id()
    # Day 1: a 1,000.00 KZT sale (fee 10.00) and a 1,500.00 KZT refund: 99,000 - 150,000.
    await settle_invoice(conn, m, units=2 * USDT, kzt_gross=100_000, fee=1_000)
    await refund(conn, m, 150_000)
    cut1 = await db_now(conn)
    day1 = date(2030, 1, 1)
    r1 = await batches.close_period(conn, day1, cut1 - timedelta(days=1), cut1,
                                    merchant_ids=[m])
    [carried] = r1.carried_forward
    assert carried.status is BatchStatus.CARRIED_FORWARD
    assert (carried.refunds, carried.net, carried.payout_amount, carried.carried_out) == (
        150_000, -51_000, 0, -51_000)
    assert carried.payout_entry_id is None
    assert await payable(conn, m) == -51_000
    with pytest.raises(IllegalBatchTransition):
        await batches.mark_paid(conn, carried.id, bank_reference="X")
    # Day 2: a 2,000.00 KZT sale (fee 20.00): 198,000 - 51,000 carried = 147,000 paid out.
    await settle_invoice(conn, m, units=4 * USDT, kzt_gross=200_000, fee=2_000)
    cut2 = await db_now(conn)
    r2 = await batches.close_period(conn, day1 + timedelta(days=1), cut1, cut2,
                                    merchant_ids=[m])
    [paid] = r2.closed
    assert (paid.carried_in, paid.net, paid.payout_amount, paid.carried_out) == (
        -51_000, 147_000, 147_000, 0)
    assert await payable(conn, m) == 0


async def test_concurrent_closing_closes_once(db_pool: asyncpg.Pool) -> None:
    m = merchant_id()
    async with db_pool.acquire() as conn:
        for gross in (300_000, 700_000):
            await settle_invoice(conn, m, units=USDT, kzt_gross=gross, fee=gross // 100)
        cut = await db_now(conn)

    async def close() -> batches.CloseResult:
        async with db_pool.acquire() as conn:
            return await batches.close_period(conn, date(2030, 2, 1), cut - timedelta(days=1),
                                              cut, merchant_ids=[m])

    results = await asyncio.gather(close(), close(), close())
    async with db_pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT id, status::text, payout_amount FROM settlement_batches "
            "WHERE merchant_id = $1", m)
        entries = await conn.fetchval(
            "SELECT count(*) FROM journal_entries WHERE kind = 'settlement_payout' "
            "AND metadata->>'merchant_id' = $1", m)
        assert [(r["status"], r["payout_amount"]) for r in rows] == [("closed", 990_000)]
        assert entries == 1
        assert await payable(conn, m) == 0
    assert sum(len(r.closed) for r in results) >= 1
