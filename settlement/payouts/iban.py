"""Kazakh IBANs: `KZ` + 2 check digits + 3-digit bank code + 13-character account = 20 chars.

Validation follows ISO 13616: move the first four characters to the end, replace letters by
numbers (A=10 .. Z=35) and the result mod 97 must be 1.
"""

from __future__ import annotations

import string

from settlement.payouts.errors import InvalidIban

KZ_IBAN_LENGTH = 20
_ALLOWED = frozenset(string.ascii_uppercase + string.digits)


def _numeric(text: str) -> int:
    return int("".join(str(int(ch, 36)) for ch in text))


def normalize_iban(raw: str) -> str:
    """The IBAN in electronic form: spaces removed, upper case."""
    return "".join(raw.split()).upper()


def validate_kz_iban(raw: str) -> str:
    """The normalised IBAN, or `InvalidIban` saying exactly what is wrong."""
    iban = normalize_iban(raw)
    if not iban.startswith("KZ"):
        raise InvalidIban(f"IBAN {iban!r} is not a Kazakh IBAN (must start with KZ)")
    if len(iban) != KZ_IBAN_LENGTH:
        raise InvalidIban(
            f"IBAN {iban!r} has {len(iban)} characters; a KZ IBAN has {KZ_IBAN_LENGTH}"
        )
    if not set(iban) <= _ALLOWED or not iban[2:4].isdigit() or not iban[4:7].isdigit():
        raise InvalidIban(f"IBAN {iban!r} contains characters not allowed in a KZ IBAN")
    if _numeric(iban[4:] + iban[:4]) % 97 != 1:
        raise InvalidIban(f"IBAN {iban!r} fails the mod-97 check")
    return iban


def kz_iban_check_digits(bank_code: str, account: str) -> str:
    """The two check digits for a KZ IBAN (used to make valid demo and test IBANs)."""
    body = f"{bank_code}{account}".upper()
    if len(body) != KZ_IBAN_LENGTH - 4 or not set(body) <= _ALLOWED:
        raise InvalidIban(f"bank code + account must be 16 characters, got {body!r}")
    return f"{98 - _numeric(body + 'KZ00') % 97:02d}"


def make_kz_iban(bank_code: str, account: str) -> str:
    """A valid KZ IBAN from a 3-digit bank code and a 13-character account number."""
    return f"KZ{kz_iban_check_digits(bank_code, account)}{bank_code}{account}".upper()
