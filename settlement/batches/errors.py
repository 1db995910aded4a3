"""Batch errors: the `BatchError` branch under `SettlementError` (see `settlement.errors`).

    SettlementError
    └── BatchError                    settlement batches
        ├── IllegalBatchTransition    a status move the lifecycle does not allow (SE003)
        ├── BatchNotFound             no batch with that id
        ├── BusinessDayNotOver        closing a business day before its cut-off has passed
        └── InvalidCalendar           a cut-off or time zone that cannot be used
"""

from __future__ import annotations

from settlement.errors import SettlementError


class BatchError(SettlementError):
    """A settlement batch operation was refused."""


class IllegalBatchTransition(BatchError):
    """The batch is not in a status from which the requested move is allowed."""


class BatchNotFound(BatchError):
    """No settlement batch has that id."""


class BusinessDayNotOver(BatchError):
    """The business day's cut-off is still in the future."""


class InvalidCalendar(BatchError):
    """The cut-off time or zone is not usable."""
