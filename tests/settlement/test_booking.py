"""The settled-invoice postings and the fee formula (no database)."""

from __future__ import annotations

import pytest

from settlement.booking import fee_for, invoice_settlement_postings
from settlement.errors import InvalidAmount
from settlement.ledger import Direction
from settlement.ledger.entries import check_balanced
from settlement.money import BSC_USDT, KZT, SOLANA_USDC, Money


def test_fee_rounds_half_up_to_the_tiyn() -> None:
    assert fee_for(1_500_000, 150, 0) == 22_500  # 1.5% of 15,000.00 KZT = 225.00 KZT
    assert fee_for(100, 150, 0) == 2  # 1.5 tiyn -> 2
    assert fee_for(33, 150, 0) == 0  # 0.495 tiyn -> 0
    assert fee_for(1_000, 125, 0) == 13  # 12.5 tiyn -> 13
    assert fee_for(1_000, 124, 0) == 12  # 12.4 tiyn -> 12
    assert fee_for(1_000, 150, 30) == 45  # percentage plus fixed
    assert fee_for(1_000, 150, 0, minimum_tiyn=500) == 500


@pytest.mark.parametrize(
    "args", [(-1, 150, 0), (100, -1, 0), (100, 10_001, 0), (100, 150, -1), (100.0, 150, 0)]
)
def test_fee_inputs_refused(args: tuple[int, int, int]) -> None:
    with pytest.raises(InvalidAmount):
        fee_for(*args)


def test_settlement_postings_shape() -> None:
    received = Money(29 * 10**18, BSC_USDT)
    postings = invoice_settlement_postings(
        merchant_id="m-1", received=received, kzt_gross=1_500_000, fee=22_500
    )
    check_balanced(postings)
    lines = [(p.account.code, p.direction, p.amount) for p in postings]
    assert lines == [
        ("custody:bsc:USDT", Direction.DEBIT, received),
        ("fx_position:bsc:USDT", Direction.CREDIT, received),
        ("fx_position:KZT", Direction.DEBIT, Money(1_500_000, KZT)),
        ("merchant_payable:m-1", Direction.CREDIT, Money(1_477_500, KZT)),
        ("fee_revenue", Direction.CREDIT, Money(22_500, KZT)),
    ]


def test_settlement_without_fee_omits_the_fee_line() -> None:
    postings = invoice_settlement_postings(
        merchant_id=7, received=Money(5, SOLANA_USDC), kzt_gross=100, fee=0
    )
    assert [p.account.code for p in postings][-1] == "merchant_payable:7"
    check_balanced(postings)


@pytest.mark.parametrize(
    ("received", "gross", "fee"),
    [
        (Money(1, KZT), 100, 1),  # not crypto
        (Money(0, BSC_USDT), 100, 1),
        (Money(1, BSC_USDT), 0, 0),
        (Money(1, BSC_USDT), 100, 101),
        (Money(1, BSC_USDT), 100, -1),
    ],
)
def test_settlement_inputs_refused(received: Money, gross: int, fee: int) -> None:
    with pytest.raises(InvalidAmount):
        invoice_settlement_postings(merchant_id="m", received=received, kzt_gross=gross, fee=fee)
