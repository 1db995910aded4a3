"""Report errors: the `ReportError` branch under `SettlementError` (see `settlement.errors`).

    SettlementError
    └── ReportError               a report cannot be produced
        └── InvalidPeriod         the period is empty, reversed or too long
"""

from __future__ import annotations

from settlement.errors import SettlementError


class ReportError(SettlementError):
    """A report could not be produced."""


class InvalidPeriod(ReportError):
    """A report period must have start < end and stay within the allowed length."""
