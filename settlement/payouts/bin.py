"""Kazakh IIN/BIN (individual / business identification number): 12 digits, the last a control.

Both start with YYMM (the IIN with the birth date YYMMDD, the BIN with the registration month).
The control digit is computed from the first eleven digits:
1. weights 1, 2, ..., 11: control = sum(d_i * w_i) mod 11;
2. if that is 10, weights 3, 4, ..., 11, 1, 2: control = sum(d_i * w_i) mod 11;
3. if that is 10 again, no number with these eleven digits is ever issued.
"""

from __future__ import annotations

from settlement.payouts.errors import InvalidBin

BIN_LENGTH = 12
FIRST_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11


def bin_control_digit(first_eleven: str) -> int | None:
    """The control digit for eleven digits, or None when the sequence is never issued."""
    if len(first_eleven) != BIN_LENGTH - 1 or not first_eleven.isdigit():
        raise InvalidBin(f"need 11 digits to compute a control digit, got {first_eleven!r}")
    control = _weighted(first_eleven, FIRST_WEIGHTS)
    if control == 10:
        control = _weighted(first_eleven, SECOND_WEIGHTS)
    return None if control == 10 else control


def validate_bin(raw: str) -> str:
    """The 12-digit IIN/BIN, or `InvalidBin` saying what is wrong."""
    value = raw.strip()
    if len(value) != BIN_LENGTH or not value.isascii() or not value.isdigit():
        raise InvalidBin(f"BIN {value!r} must be exactly {BIN_LENGTH} digits")
    if not 1 <= int(value[2:4]) <= 12:
        raise InvalidBin(f"BIN {value!r} has month {value[2:4]}; digits 3-4 must be 01-12")
    control = bin_control_digit(value[:11])
    if control is None or control != int(value[11]):
        raise InvalidBin(f"BIN {value!r} fails the IIN/BIN control digit check")
    return value


def make_bin(first_eleven: str) -> str:
    """A valid BIN from eleven digits (for demo data and tests); refuses unissued sequences."""
    control = bin_control_digit(first_eleven)
    if control is None:
        raise InvalidBin(f"no valid BIN starts with {first_eleven!r}")
    return validate_bin(f"{first_eleven}{control}")
