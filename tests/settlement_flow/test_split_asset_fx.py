"""A split-asset invoice's FX cost is apportioned per asset leg by each leg's KZT value
(largest remainder), so converting both legs releases exactly the booked KZT once.

Hand-checked: legs worth 60,000 and 40,001 tiyn at the locked quotes, booked at the invoice
amount of 100,000 tiyn: 100000*60000/100001 = 59999.40 and 100000*40001/100001 = 40000.60;
floors 59,999 + 40,000 leave 1 tiyn for the larger remainder (.60): 59,999 and 40,001.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg

from settlement.batches.calendar import CutoffCalendar
from settlement.fees import queries as fx_queries
from settlement.invoice_booking import book_settlement, kzt_cost_by_leg
from settlement.ledger import fx_position
from settlement.money import KZT, currency
from settlement.reports.service import SummaryRow, zone_summary

BNB, USDT = "bsc:BNB", "bsc:USDT"
VALUES = {BNB: 60_000, USDT: 40_001}


def test_kzt_cost_is_apportioned_by_leg_value() -> None:
    assert kzt_cost_by_leg(VALUES, 100_000) == {BNB: 59_999, USDT: 40_001}
    assert kzt_cost_by_leg({BNB: 7}, 5) == {BNB: 5}  # one leg takes it whole


async def _held(conn: asyncpg.Connection, code: str) -> tuple[int, int]:
    row = await fx_queries.position_cost(conn, fx_position(currency(code)).code,
                                         fx_position(KZT).code, code)
    return int(row["units"]), int(row["kzt_cost"])


async def test_each_position_holds_only_its_part(
        db_pool: asyncpg.Pool, make_merchant: Callable[..., Awaitable[str]]) -> None:
    merchant = await make_merchant()
    received = {BNB: 2 * 10**17, USDT: 80 * 10**18}
    async with db_pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        try:
            before = {code: await _held(conn, code) for code in received}
            await book_settlement(conn, invoice_id=f"inv_split{secrets.token_hex(6)}",
                                  merchant_id=merchant, received=received, values=VALUES,
                                  kzt_gross=100_000, at=datetime.now(UTC))
            after = {code: await _held(conn, code) for code in received}
        finally:
            await tx.rollback()
    delta = {code: (after[code][0] - before[code][0], after[code][1] - before[code][1])
             for code in received}
    assert delta == {BNB: (2 * 10**17, 59_999), USDT: (80 * 10**18, 40_001)}
    assert sum(cost for _, cost in delta.values()) == 100_000  # the booked KZT, once


async def _summary(conn: asyncpg.Connection, calendar: CutoffCalendar
                   ) -> dict[str, tuple[int, int, int]]:
    day = calendar.business_day_of(datetime.now(UTC))
    rows: list[SummaryRow] = await zone_summary(conn, calendar, day, day)
    return {f"{r.chain}:{r.asset}": (r.invoice_count, r.crypto_volume, r.kzt_volume)
            for r in rows}


async def test_zone_summary_keeps_the_legs_apart(
        db_pool: asyncpg.Pool, make_merchant: Callable[..., Awaitable[str]]) -> None:
    merchant = await make_merchant()
    calendar = CutoffCalendar.create()
    received = {BNB: 2 * 10**17, USDT: 80 * 10**18}
    async with db_pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        try:
            before = await _summary(conn, calendar)
            await book_settlement(conn, invoice_id=f"inv_split{secrets.token_hex(6)}",
                                  merchant_id=merchant, received=received, values=VALUES,
                                  kzt_gross=100_000, at=datetime.now(UTC))
            after = await _summary(conn, calendar)
        finally:
            await tx.rollback()
    zero = (0, 0, 0)
    delta = {code: tuple(a - b for a, b in zip(after[code], before.get(code, zero),
                                                strict=True)) for code in received}
    # One invoice (counted under its first leg), each asset's own units and KZT part.
    assert delta == {BNB: (1, 2 * 10**17, 59_999), USDT: (0, 80 * 10**18, 40_001)}
