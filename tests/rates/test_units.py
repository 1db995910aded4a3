"""units_for: ceil rounding, exactness at any size, and the two-sided property."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.rates.errors import RatesError
from gateway.rates.units import units_for


@pytest.mark.parametrize(
    ("tiyn", "rate", "decimals", "units"),
    [
        (0, Decimal("300000"), 18, 0),
        (30_000_000, Decimal("300000"), 18, 10**18),  # 300 000 KZT = exactly 1 BNB
        (30_000_001, Decimal("300000"), 18, 10**18 + 33_333_333_334),  # ceil of a repeating
        (100, Decimal("500.00"), 6, 2000),  # 1 KZT at 500 KZT/USDT = 0.002 USDT
        (1, Decimal("500"), 6, 20),
        (1, Decimal("75000"), 9, 134),  # 0.01 KZT / 75000 = 133.33.. lamports -> 134
        (12_345, Decimal(1), 6, 123_450_000),  # KZTE 1:1
        (1, Decimal("1e30"), 0, 1),  # anything owed is at least one unit
        (10**18, Decimal("0.000000000000000001"), 0, 10**34),
    ],
)
def test_edges(tiyn: int, rate: Decimal, decimals: int, units: int) -> None:
    assert units_for(tiyn, rate, decimals) == units


def test_beyond_default_decimal_precision() -> None:
    rate = Decimal("271833.123456789012345678901234567")  # 33 significant digits
    tiyn = 987_654_321_987_654_321
    units = units_for(tiyn, rate, 18)
    with localcontext() as ctx:
        ctx.prec = 100  # the check itself must not round at the default 28 digits
        assert units * rate * 100 >= tiyn * 10**18
        assert (units - 1) * rate * 100 < tiyn * 10**18


@pytest.mark.parametrize(
    ("tiyn", "rate", "decimals"),
    [(-1, Decimal(1), 6), (1, Decimal(0), 6), (1, Decimal(-5), 6), (1, Decimal("NaN"), 6),
     (1, Decimal("Infinity"), 6), (1, Decimal(1), -1), (1, Decimal(1), 37), (True, Decimal(1), 6)],
)
def test_bad_arguments(tiyn: int, rate: Decimal, decimals: int) -> None:
    with pytest.raises(RatesError):
        units_for(tiyn, rate, decimals)


def test_float_rate_is_refused() -> None:
    with pytest.raises(RatesError):
        units_for(100, 500.0, 6)  # type: ignore[arg-type]


@given(
    tiyn=st.integers(min_value=1, max_value=10**15),
    rate=st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("100000000"), places=8,
                     allow_nan=False, allow_infinity=False),
    decimals=st.sampled_from([0, 6, 8, 9, 18]),
)
def test_ceil_property(tiyn: int, rate: Decimal, decimals: int) -> None:
    units = units_for(tiyn, rate, decimals)
    # Compare in exact integers: units / 10^decimals * rate KZT vs tiyn / 100 KZT.
    numerator, denominator = rate.as_integer_ratio()
    paid = units * numerator * 100
    owed = tiyn * denominator * 10**decimals
    assert paid >= owed
    assert (units - 1) * numerator * 100 < owed
