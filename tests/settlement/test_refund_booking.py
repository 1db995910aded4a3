"""Refund booking worked examples, balances checked by hand to the wei and the tiyn.

A shop refunds, on BNB Chain in USDT (18 decimals):
- the stranded excess of an overpaid invoice: 2.5 USDT = 2,500,000,000,000,000,000 wei, given
  back in kind (never booked before: it enters custody and leaves at once);
- part of the settled sale: KZT 10,000.00 = 1,000,000 tiyn at 517.50 KZT per USDT, i.e.
  19.323671497584541062 USDT = 19,323,671,497,584,541,062 wei (the service's rounding, given).
The transaction costs 51,234 gas at 3 gwei = 153,702,000,000,000 wei of BNB, the operator's.

Shared accounts are checked as changes from the start of each test; the merchant's payable is
the test's own.
"""

from __future__ import annotations

import asyncpg
import pytest

from settlement import ledger
from settlement.errors import BookingError
from settlement.ledger import custody, fx_position, network_fees, refunds_in_transit
from settlement.money import BSC_BNB, BSC_USDT, KZT
from settlement.reconciliation.queries import custody_refunds
from settlement.reconciliation.service import custody_lines
from settlement.refund_booking import (
    RefundBooking,
    book_final,
    book_signed,
    final_postings,
    reverse_signed,
    signed_postings,
)
from tests.settlement.helpers import uid

STRANDED = 2_500_000_000_000_000_000
SALE_TIYN = 1_000_000
SALE_WEI = 19_323_671_497_584_541_062
FEE_WEI = 51_234 * 3_000_000_000
SHARED = ["custody:bsc:USDT", "refunds_in_transit:bsc:USDT", "fx_position:bsc:USDT",
          "fx_position:KZT", "custody:bsc:BNB", "network_fees:bsc:BNB"]


def _refund(merchant: str, *, sale: bool = True) -> RefundBooking:
    return RefundBooking(refund_id=uid("rfd"), merchant_id=merchant, invoice_id=uid("inv"),
                         currency_code="bsc:USDT", stranded_units=STRANDED,
                         sale_amount=SALE_TIYN if sale else 0,
                         sale_units=SALE_WEI if sale else 0)


async def _start(conn: asyncpg.Connection) -> dict[str, int]:
    await ledger.ensure_accounts(conn, [
        custody("bsc", "USDT"), refunds_in_transit(BSC_USDT), fx_position(BSC_USDT),
        fx_position(KZT), custody("bsc", "BNB"), network_fees(BSC_BNB)])
    return {code: (await ledger.balance(conn, code)).amount for code in SHARED}


async def _changes(conn: asyncpg.Connection, before: dict[str, int]) -> dict[str, int]:
    return {code: (await ledger.balance(conn, code)).amount - before[code] for code in SHARED}


async def test_a_refund_books_in_transit_at_signing_and_out_of_custody_at_finality(
        conn: asyncpg.Connection) -> None:
    merchant = uid("shop")
    refund = _refund(merchant)
    before = await _start(conn)

    signed = await book_signed(conn, refund)
    assert signed.kind == "refund" and signed.idempotency_key == f"refund:{refund.refund_id}:signed"
    assert await _changes(conn, before) == {
        "custody:bsc:USDT": 2_500_000_000_000_000_000,  # the stranded units, now booked
        "refunds_in_transit:bsc:USDT": 21_823_671_497_584_541_062,  # 2.5 + 19.32... USDT
        "fx_position:bsc:USDT": -19_323_671_497_584_541_062,  # the sale's USDT bought back
        "fx_position:KZT": 1_000_000,
        "custody:bsc:BNB": 0, "network_fees:bsc:BNB": 0,
    }
    assert (await ledger.balance(conn, f"merchant_payable:{merchant}")).amount == -1_000_000

    final = await book_final(conn, refund, FEE_WEI)
    assert final.idempotency_key == f"refund:{refund.refund_id}:final"
    assert await _changes(conn, before) == {
        "custody:bsc:USDT": -19_323_671_497_584_541_062,  # 2.5e18 in, 21.82e18 out
        "refunds_in_transit:bsc:USDT": 0,
        "fx_position:bsc:USDT": -19_323_671_497_584_541_062,
        "fx_position:KZT": 1_000_000,
        "custody:bsc:BNB": -153_702_000_000_000,
        "network_fees:bsc:BNB": 153_702_000_000_000,
    }
    # A replay after a crash posts nothing new.
    assert not (await book_signed(conn, refund)).created
    assert not (await book_final(conn, refund, FEE_WEI)).created
    assert (await _changes(conn, before))["custody:bsc:BNB"] == -153_702_000_000_000


async def test_a_failed_refund_reverses_its_in_transit_entry(conn: asyncpg.Connection) -> None:
    merchant = uid("shop")
    refund = _refund(merchant)
    before = await _start(conn)
    assert await reverse_signed(conn, refund.refund_id) is None  # nothing booked yet
    await book_signed(conn, refund)
    reversal = await reverse_signed(conn, refund.refund_id)
    assert reversal is not None and reversal.idempotency_key == f"refund:{refund.refund_id}:failed"
    assert await _changes(conn, before) == dict.fromkeys(SHARED, 0)
    assert (await ledger.balance(conn, f"merchant_payable:{merchant}")).amount == 0


def test_entries_balance_per_currency_and_skip_a_zero_fee() -> None:
    refund = _refund("m1", sale=False)
    assert [(p.account.code, p.direction, p.amount.amount) for p in signed_postings(refund)] == [
        ("custody:bsc:USDT", "debit", STRANDED),
        ("refunds_in_transit:bsc:USDT", "credit", STRANDED)]
    assert len(final_postings(refund, 0)) == 2
    with pytest.raises(BookingError):
        final_postings(refund, -1)
    with pytest.raises(BookingError):
        signed_postings(RefundBooking("r", "m", "i", "bsc:USDT", 0, 100, 0))


async def test_reconciliation_expects_what_refunds_moved_in_custody(
        conn: asyncpg.Connection) -> None:
    before = await custody_refunds(conn)
    refund = _refund(uid("shop"))
    await book_signed(conn, refund)
    await book_final(conn, refund, FEE_WEI)
    after = await custody_refunds(conn)
    # The stranded 2.5 USDT came in and went out; the sale part and the fee left custody.
    assert {code: after.get(code, 0) - before.get(code, 0)
            for code in ("custody:bsc:USDT", "custody:bsc:BNB")} == {
        "custody:bsc:USDT": -SALE_WEI, "custody:bsc:BNB": -FEE_WEI}
    books, booked = {"bsc:USDT": 10 * SALE_WEI - SALE_WEI}, {"bsc:USDT": 10 * SALE_WEI}
    assert custody_lines(books, booked, {}, {"bsc:USDT": -SALE_WEI}) == []
    (line,) = custody_lines(books, booked, {})  # without the refunds: a difference
    assert line.difference == SALE_WEI
