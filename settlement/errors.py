"""The one exception hierarchy of CryptoCity Pay (both `settlement` and `gateway`).

    CryptoCityError                      root: catch this to catch everything of ours
    ├── MoneyError                       settlement.money
    │   ├── InvalidAmount                bad text, float, negative, too many decimals, overflow
    │   ├── UnknownCurrency              code not in the registry
    │   └── CurrencyMismatch             arithmetic across currencies
    ├── LedgerError                      settlement.ledger
    │   ├── UnbalancedEntry              debits != credits in some currency
    │   ├── IdempotencyConflict          same idempotency key, different content
    │   ├── ImmutableRecord              UPDATE/DELETE on posted rows
    │   ├── UnknownAccount
    │   └── BookingError                 a business event's entry cannot be built
    ├── SettlementError                  settlement batches, payouts, reconciliation, reports
    │   └── (see settlement.* modules)
    └── GatewayError                     gateway.errors: everything that faces the outside world
        ├── ConfigError                  bad environment variable (names it)
        ├── DatabaseError                embedded cluster / migrations
        ├── ApiError                     an HTTP answer in the one error shape
        └── ChainError                   RPC transport and parsing (see gateway.errors)

Library errors are mapped to ours with ``raise ... from exc`` at the boundary.
"""

from __future__ import annotations


class CryptoCityError(Exception):
    """Root of every exception raised by CryptoCity Pay code."""


class MoneyError(CryptoCityError):
    """A money value or currency is not acceptable."""


class InvalidAmount(MoneyError):
    """An amount is malformed, negative, too precise, a float or out of range."""


class UnknownCurrency(MoneyError):
    """A currency or asset code is not in the registry."""


class CurrencyMismatch(MoneyError):
    """Two amounts in different currencies were combined."""


class LedgerError(CryptoCityError):
    """The ledger refused an operation."""


class UnbalancedEntry(LedgerError):
    """A journal entry's debits and credits differ in at least one currency."""


class IdempotencyConflict(LedgerError):
    """An idempotency key was reused with different content."""


class ImmutableRecord(LedgerError):
    """Posted journal rows cannot be changed or deleted; post a reversal instead."""


class UnknownAccount(LedgerError):
    """An account code does not exist."""


class BookingError(LedgerError):
    """The entry of a business event cannot be built (e.g. a settlement with no crypto)."""


class SettlementError(CryptoCityError):
    """Settlement, payout, reconciliation or reporting failed."""
