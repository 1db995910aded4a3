"""Exact conversions between integer base units and the decimal strings wallets display.

Solana Pay's `amount` is in "user" units (SOL, not lamports) as a plain decimal; these keep it
exact: no float, no exponent, no trailing zeros.
"""

from __future__ import annotations

import re
from decimal import Decimal

from gateway.payments.errors import PaymentUriError

# SPEC.md: non-negative integer or decimal, leading 0 before ".", no scientific notation.
_AMOUNT = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?")
MAX_DECIMALS = 36


def format_units(units: int, decimals: int) -> str:
    """`units` base units as a trimmed decimal string: (1_500_000, 6) -> "1.5"."""
    if isinstance(units, bool) or not isinstance(units, int) or units < 0:
        raise PaymentUriError(f"amount must be a non-negative int of base units, got {units!r}")
    if not 0 <= decimals <= MAX_DECIMALS:
        raise PaymentUriError(f"decimals must be between 0 and {MAX_DECIMALS}, got {decimals}")
    whole, frac = divmod(units, 10**decimals)
    if frac == 0:
        return str(whole)
    return f"{whole}.{str(frac).rjust(decimals, '0').rstrip('0')}"


def check_amount(text: str) -> Decimal:
    """Validate a Solana Pay amount string and return its exact value."""
    if not _AMOUNT.fullmatch(text):
        raise PaymentUriError(
            f"amount {text!r} must be a non-negative decimal with a leading digit and no "
            "exponent, e.g. 0.01"
        )
    return Decimal(text)


def parse_units(text: str, decimals: int) -> int:
    """A Solana Pay amount string back to base units; refuses more decimals than the asset has."""
    check_amount(text)
    whole, _, frac = text.partition(".")
    if len(frac) > decimals:
        raise PaymentUriError(f"amount {text!r} has more than {decimals} decimal places")
    # Digits, not Decimal arithmetic: the default 28-digit context would round huge amounts.
    scale: int = 10**decimals
    return int(whole) * scale + int(frac.ljust(decimals, "0") or "0")
