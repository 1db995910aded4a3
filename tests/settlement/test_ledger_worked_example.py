"""A worked example with balances checked by hand, to the tiyn and to the wei.

A shop sells for KZT 15,000.00; the shopper pays in USDT on BNB Chain at the locked rate of
517.50 KZT per USDT. Owed: 15000 / 517.50 = 28.985507246376811594202... USDT, rounded UP to
the wei: 28.985507246376811595 USDT = 28,985,507,246,376,811,595 wei. Fee 1.5% of 1,500,000
tiyn = 22,500 tiyn (225.00 KZT); the merchant is owed 1,477,500 tiyn (14,775.00 KZT).

Then the operator sells the USDT for KZT 15,010.00 (the market moved: FX gain 10.00 KZT),
books the gain, and pays the merchant out: payable -> payouts_in_transit -> bank.

fee_revenue, fx_position:*, custody:*, bank, payouts_in_transit and fx_result are shared by
every test, so they are checked as changes from the start of this test; the merchant's
payable is this test's own and is checked absolutely.
"""

from __future__ import annotations

import asyncpg

from settlement import ledger
from settlement.booking import fee_for, invoice_settlement_postings
from settlement.ledger import (
    BANK,
    FEE_REVENUE,
    FX_RESULT,
    PAYOUTS_IN_TRANSIT,
    credit,
    custody,
    debit,
    fx_position,
    merchant_payable,
)
from settlement.money import BSC_USDT, KZT, Money
from tests.settlement.helpers import uid

WEI = 28_985_507_246_376_811_595
SHARED = [
    "custody:bsc:USDT", "fx_position:bsc:USDT", "fx_position:KZT", "fee_revenue", "bank",
    "payouts_in_transit", "fx_result",
]


async def _changes(conn: asyncpg.Connection, before: dict[str, int]) -> dict[str, int]:
    now = {code: (await ledger.balance(conn, code)).amount for code in SHARED}
    return {code: now[code] - before.get(code, 0) for code in SHARED}


async def _start(conn: asyncpg.Connection) -> dict[str, int]:
    await ledger.ensure_accounts(
        conn, [custody("bsc", "USDT"), fx_position(BSC_USDT), fx_position(KZT), FEE_REVENUE,
               BANK, PAYOUTS_IN_TRANSIT, FX_RESULT],
    )
    return {code: (await ledger.balance(conn, code)).amount for code in SHARED}


async def test_sale_fx_and_payout_to_the_tiyn(conn: asyncpg.Connection) -> None:
    merchant = uid("shop")
    payable = merchant_payable(merchant).code
    before = await _start(conn)
    assert WEI == -(-1_500_000 * 10**18 // 51_750)  # ceil(tiyn * 10^18 / rate in tiyn)
    fee = fee_for(1_500_000, 150, 0)
    assert fee == 22_500

    await ledger.post(
        conn, idempotency_key=f"{merchant}:settle", kind="invoice_settled",
        postings=invoice_settlement_postings(
            merchant_id=merchant, received=Money(WEI, BSC_USDT), kzt_gross=1_500_000, fee=fee
        ),
    )
    assert await ledger.balance(conn, payable) == Money(1_477_500, KZT)
    assert await _changes(conn, before) == {
        "custody:bsc:USDT": WEI, "fx_position:bsc:USDT": WEI, "fx_position:KZT": -1_500_000,
        "fee_revenue": 22_500, "bank": 0, "payouts_in_transit": 0, "fx_result": 0,
    }

    # Selling the USDT: the crypto leaves custody, 15,010.00 KZT arrive at the bank.
    await ledger.post(
        conn, idempotency_key=f"{merchant}:convert", kind="fx_conversion",
        postings=[
            debit(fx_position(BSC_USDT), WEI), credit(custody("bsc", "USDT"), WEI),
            debit(BANK, 1_501_000), credit(fx_position(KZT), 1_501_000),
        ],
    )
    # The KZT position now shows the 10.00 KZT gain; it is closed into fx_result.
    await ledger.post(
        conn, idempotency_key=f"{merchant}:fx-result", kind="fx_result",
        postings=[debit(fx_position(KZT), 1_000), credit(FX_RESULT, 1_000)],
    )
    await ledger.post(
        conn, idempotency_key=f"{merchant}:payout", kind="payout_sent",
        postings=[debit(merchant_payable(merchant), 1_477_500),
                  credit(PAYOUTS_IN_TRANSIT, 1_477_500)],
    )
    assert (await _changes(conn, before))["payouts_in_transit"] == 1_477_500
    await ledger.post(
        conn, idempotency_key=f"{merchant}:payout-done", kind="payout_confirmed",
        postings=[debit(PAYOUTS_IN_TRANSIT, 1_477_500), credit(BANK, 1_477_500)],
    )

    assert await ledger.balance(conn, payable) == Money(0, KZT)
    # Left in the bank: 15,010.00 - 14,775.00 = 235.00 KZT = fee 225.00 + FX gain 10.00.
    assert await _changes(conn, before) == {
        "custody:bsc:USDT": 0, "fx_position:bsc:USDT": 0, "fx_position:KZT": 0,
        "fee_revenue": 22_500, "bank": 23_500, "payouts_in_transit": 0, "fx_result": 1_000,
    }
    assert all(total == 0 for total in (await ledger.trial_balance(conn)).values())
