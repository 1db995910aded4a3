"""What a shopper owes in base units for a tenge amount, rounded up (operator's favour)."""

from __future__ import annotations

from decimal import Decimal

from gateway.rates.errors import RatesError

TIYN_PER_KZT = 100
MAX_DECIMALS = 36


def units_for(kzt_tiyn: int, rate: Decimal, decimals: int) -> int:
    """Base units owed for `kzt_tiyn` at `rate` KZT per whole unit, ceil-rounded.

    Exact: the rate's decimal is turned into an integer fraction, so the result is
    ceil(tiyn * 10^decimals / (100 * rate)) computed in integers with no precision limit.
    """
    if isinstance(kzt_tiyn, bool) or not isinstance(kzt_tiyn, int) or kzt_tiyn < 0:
        raise RatesError(f"kzt_tiyn must be a non-negative int, got {kzt_tiyn!r}")
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0:
        raise RatesError(f"rate must be a positive finite Decimal, got {rate!r}")
    if isinstance(decimals, bool) or not 0 <= decimals <= MAX_DECIMALS:
        raise RatesError(f"decimals must be between 0 and {MAX_DECIMALS}, got {decimals!r}")
    numerator, denominator = rate.as_integer_ratio()
    # units = tiyn / 100 / (numerator / denominator) * 10^decimals
    scale: int = 10**decimals
    owed = kzt_tiyn * denominator * scale
    per = TIYN_PER_KZT * numerator
    return -(-owed // per)


def value_tiyn(units: int, rate: Decimal, decimals: int) -> int:
    """KZT value in tiyn of `units` base units at `rate` KZT per whole unit, rounded down."""
    numerator, denominator = rate.as_integer_ratio()
    scale: int = 10**decimals
    value: int = (units * numerator * TIYN_PER_KZT) // (denominator * scale)
    return value
