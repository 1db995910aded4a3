"""Payout errors: the `PayoutError` branch under `SettlementError` (see `settlement.errors`).

    SettlementError
    └── PayoutError               building or writing a payout file failed
        ├── InvalidIban           not a KZ IBAN: country, length, characters or mod-97
        ├── InvalidBin            not a 12-digit IIN/BIN or its control digit is wrong
        ├── InvalidPayee          other payee/debtor data unusable in a file (name, BIC)
        ├── PayoutFileInvalid     the built document does not validate against the XSD
        └── PayoutFileNotFound    no payout file has that id
"""

from __future__ import annotations

from settlement.errors import SettlementError


class PayoutError(SettlementError):
    """A payout file could not be built or written."""


class InvalidIban(PayoutError):
    """An IBAN is not a valid Kazakh IBAN."""


class InvalidBin(PayoutError):
    """An IIN/BIN is not 12 digits or fails its control digit."""


class InvalidPayee(PayoutError):
    """A party's name or BIC cannot be used in a pain.001 file."""


class PayoutFileInvalid(PayoutError):
    """A generated pain.001 document failed XSD validation; nothing was written."""


class PayoutFileNotFound(PayoutError):
    """No payout file has the asked id."""
