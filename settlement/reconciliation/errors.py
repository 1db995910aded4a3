"""Reconciliation errors: the `ReconciliationError` branch under `SettlementError`.

    SettlementError
    └── ReconciliationError       a reconciliation run or resolution was refused
        ├── RunNotFound           no stored run with that id
        └── AlreadyResolved       the unmatched payment already has a decision
"""

from __future__ import annotations

from settlement.errors import SettlementError


class ReconciliationError(SettlementError):
    """Reconciliation could not be run or recorded."""


class RunNotFound(ReconciliationError):
    """No reconciliation run has that id."""


class AlreadyResolved(ReconciliationError):
    """An unmatched payment can be resolved once; the first decision stands."""
