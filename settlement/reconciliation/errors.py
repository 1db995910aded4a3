"""Reconciliation errors: the `ReconciliationError` branch under `SettlementError`.

    SettlementError
    └── ReconciliationError       a reconciliation run or resolution was refused
        ├── RunNotFound           no stored run with that id
        ├── DifferenceNotFound    no difference line (address, custody, ...) at that place
        ├── AlreadyResolved       the unmatched payment already has a decision
        ├── UnknownPayment        no unmatched payment with that id
        └── UnknownInvoice        a payment was to be assigned to an invoice that does not exist
"""

from __future__ import annotations

from settlement.errors import SettlementError


class ReconciliationError(SettlementError):
    """Reconciliation could not be run or recorded."""


class RunNotFound(ReconciliationError):
    """No reconciliation run has that id."""


class DifferenceNotFound(ReconciliationError):
    """No line of that run at that position is a difference an operator can acknowledge."""


class AlreadyResolved(ReconciliationError):
    """An unmatched payment can be resolved once; the first decision stands."""


class UnknownPayment(ReconciliationError):
    """No unmatched payment has that id (or it was reorged out)."""


class UnknownInvoice(ReconciliationError):
    """The invoice an unmatched payment was to be assigned to does not exist."""
