"""Money: exact parsing and formatting, refusals, arithmetic across currencies, splitting."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settlement.errors import CurrencyMismatch, InvalidAmount, UnknownCurrency
from settlement.money import (
    BSC_BNB,
    BSC_USDT,
    DEFAULT_REGISTRY,
    KZT,
    MAX_AMOUNT,
    SOLANA_SOL,
    SOLANA_USDC,
    Currency,
    Money,
    allocate,
    build_registry,
    currency,
)

# 2**256 - 1 wei written in USDT (18 decimals).
MAX_TEXT = "115792089237316195423570985008687907853269984665640564039457.584007913129639935"


def test_point_one_bnb_is_ten_to_the_seventeen_wei() -> None:
    assert Money.parse("0.1", BSC_BNB) == Money(10**17, BSC_BNB)


def test_parse_pads_missing_decimals() -> None:
    assert Money.parse("15000", KZT).amount == 1_500_000
    assert Money.parse("15000.5", KZT).amount == 1_500_050
    assert Money.parse("0.000001", SOLANA_USDC).amount == 1


@pytest.mark.parametrize(
    ("text", "cur"),
    [("0.001", KZT), ("1.0000000001", SOLANA_SOL), ("0.0000001", SOLANA_USDC)],
)
def test_too_many_decimals_refused(text: str, cur: Currency) -> None:
    with pytest.raises(InvalidAmount, match="decimals"):
        Money.parse(text, cur)


@pytest.mark.parametrize(
    "text",
    ["-1", "-0.1", "+1", "1e3", "1E-2", " 1", "1 ", "1\n", "", ".", ".5", "5.", "1,5",
     "0x10", "NaN", "Infinity", "１", "٣", "1_000", "--1"],
)
def test_malformed_or_negative_text_refused(text: str) -> None:
    with pytest.raises(InvalidAmount):
        Money.parse(text, KZT)


def test_uint256_max_is_exact_and_one_more_refused() -> None:
    biggest = Money.parse(MAX_TEXT, BSC_USDT)
    assert biggest.amount == MAX_AMOUNT == 2**256 - 1
    assert biggest.format() == MAX_TEXT
    assert Money(MAX_AMOUNT, BSC_BNB).amount == 2**256 - 1
    with pytest.raises(InvalidAmount):
        Money(2**256, BSC_BNB)
    with pytest.raises(InvalidAmount):
        Money.parse(MAX_TEXT[:-1] + "6", BSC_USDT)
    with pytest.raises(InvalidAmount):
        Money.parse("1" + "0" * 78, KZT)
    with pytest.raises(InvalidAmount):
        Money.parse("9" * 100_000, KZT)


@pytest.mark.parametrize("bad", [0.1, 1.0, Decimal("1"), True, "1", None])
def test_non_int_amounts_refused_by_constructor(bad: Any) -> None:
    with pytest.raises(InvalidAmount):
        Money(bad, KZT)


@pytest.mark.parametrize("bad", [0.1, 15000.0, Decimal("0.1"), 1])
def test_parse_takes_text_only(bad: Any) -> None:
    with pytest.raises(InvalidAmount):
        Money.parse(bad, KZT)


def test_allocate_refuses_floats() -> None:
    with pytest.raises(InvalidAmount):
        allocate(10.0, [1, 1])  # type: ignore[arg-type]
    with pytest.raises(InvalidAmount):
        allocate(10, [0.5, 0.5])  # type: ignore[list-item]


def test_mixing_currencies_refused() -> None:
    kzt, usdt = Money(100, KZT), Money(100, BSC_USDT)
    with pytest.raises(CurrencyMismatch):
        _ = kzt + usdt
    with pytest.raises(CurrencyMismatch):
        _ = kzt - usdt
    with pytest.raises(CurrencyMismatch):
        _ = kzt < usdt
    assert kzt != usdt
    with pytest.raises(InvalidAmount):
        _ = kzt + 1  # type: ignore[operator]


def test_arithmetic_and_order_within_a_currency() -> None:
    a, b = Money(150, KZT), Money(50, KZT)
    assert a + b == Money(200, KZT)
    assert b - a == Money(-100, KZT)
    assert -a == Money(-150, KZT)
    assert b < a and a >= b and not a <= b


def test_formatting_never_uses_exponents() -> None:
    assert Money(1, BSC_BNB).format() == "0.000000000000000001"
    assert Money(10**17, BSC_BNB).format_trimmed() == "0.1"
    assert Money(10**30, BSC_BNB).format() == "1000000000000.000000000000000000"
    assert Money(10**30, BSC_BNB).format_trimmed() == "1000000000000"
    assert Money(1_500_000, KZT).format() == "15000.00"
    assert Money(-5, KZT).format() == "-0.05"
    assert Money(0, KZT).format_trimmed() == "0"
    assert str(Money(1_500_000, KZT)) == "15000.00 KZT"
    for amount in (1, 10**17, 10**30, MAX_AMOUNT):
        assert "e" not in Money(amount, BSC_BNB).format().lower()


def test_to_decimal_is_exact() -> None:
    assert str(Money(MAX_AMOUNT, BSC_USDT).to_decimal()) == MAX_TEXT
    assert Money(-1, KZT).to_decimal() == Decimal("-0.01")


def test_registry_lookup_chain_and_symbol() -> None:
    assert currency("KZT").chain is None and currency("KZT").symbol == "KZT"
    usdt = currency("bsc:USDT")
    assert (usdt.chain, usdt.symbol, usdt.decimals) == ("bsc", "USDT", 18)
    assert currency("solana:USDT").decimals == 6
    assert currency("solana:SOL").decimals == 9
    assert DEFAULT_REGISTRY.get("solana:KZTE").decimals == 2
    assert build_registry(kzte_decimals=6).get("solana:KZTE").decimals == 6
    assert len(DEFAULT_REGISTRY) == 8 and "bsc:BNB" in DEFAULT_REGISTRY
    with pytest.raises(UnknownCurrency):
        currency("bsc:DOGE")
    with pytest.raises(UnknownCurrency):
        Currency("not a code", 2)


def test_allocate_largest_remainder_with_deterministic_ties() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(5, [1, 1]) == [3, 2]
    assert allocate(10, [0, 1, 0]) == [0, 10, 0]
    assert allocate(7, [2, 3, 5]) == [1, 2, 4]
    assert allocate(-100, [1, 1, 1]) == [-34, -33, -33]
    assert Money(100, KZT).allocate([1, 2]) == [Money(33, KZT), Money(67, KZT)]
    for bad in ([], [0, 0], [1, -1]):
        with pytest.raises(InvalidAmount):
            allocate(10, bad)


currencies = st.sampled_from(list(DEFAULT_REGISTRY))


@given(cur=currencies, amount=st.integers(min_value=0, max_value=MAX_AMOUNT))
def test_parse_of_format_round_trips(cur: Currency, amount: int) -> None:
    money = Money(amount, cur)
    assert Money.parse(money.format(), cur) == money
    assert Money.parse(money.format_trimmed(), cur) == money


@given(
    amount=st.integers(min_value=-(10**40), max_value=10**40),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12).filter(
        lambda ws: sum(ws) > 0
    ),
)
def test_allocate_parts_sum_to_the_whole(amount: int, weights: list[int]) -> None:
    parts = allocate(amount, weights)
    assert sum(parts) == amount
    assert len(parts) == len(weights)
    total = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = amount * weight / total if abs(amount) < 2**50 else None
        if weight == 0:
            assert part == 0
        if exact is not None:
            assert abs(part - exact) < 1 + 1e-9
