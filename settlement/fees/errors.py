"""Fee and FX errors: branches under `SettlementError` (see `settlement.errors`).

    SettlementError
    ├── FeeError                  fee schedules
    │   ├── InvalidFeeSchedule    negative parts, bps above 10000, effective in the past
    │   ├── FeeScheduleHistory    a schedule that was in effect cannot be changed (SE001)
    │   └── NoFeeSchedule         no schedule in effect for the merchant at that moment
    └── ConversionError           a treasury conversion cannot be booked
        ├── InvalidConversion     bad asset, non-positive amounts, bad reference
        └── InsufficientPosition  more units than the FX position (or custody) holds
"""

from __future__ import annotations

from settlement.errors import SettlementError


class FeeError(SettlementError):
    """A fee schedule could not be stored or applied."""


class InvalidFeeSchedule(FeeError):
    """A fee schedule's values or effective moment are not acceptable."""


class FeeScheduleHistory(FeeError):
    """A schedule that applied to some moment is history: add a new row instead."""


class NoFeeSchedule(FeeError):
    """The merchant has no fee schedule in effect at the requested moment."""


class ConversionError(SettlementError):
    """A crypto-to-tenge conversion could not be booked."""


class InvalidConversion(ConversionError):
    """The conversion's asset, amounts or reference are not acceptable."""


class InsufficientPosition(ConversionError):
    """The conversion sells more units than the FX position or custody holds."""
