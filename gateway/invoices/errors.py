"""Invoice errors, under `GatewayError` / `ApiError` (see gateway.errors for the whole tree).

    GatewayError
    ├── InvoiceError               invoice rules outside HTTP
    │   └── IllegalTransition      a status move not in states.ALLOWED (also an
    │                              IllegalStateTransition: names `current`, `target`)
    └── ApiError
        ├── InvalidRequest
        │   └── UnknownAsset       400 unknown_asset (param: assets)
        ├── Forbidden
        │   └── MerchantSuspended  403 merchant_suspended
        └── Conflict
            └── NotCancellable     409 invoice_not_cancellable

A stale or missing rate is `gateway.rates.errors.RateUnavailable` (503 rate_unavailable).
"""

from __future__ import annotations

from gateway.errors import (
    Conflict,
    Forbidden,
    GatewayError,
    IllegalStateTransition,
    InvalidRequest,
)


class InvoiceError(GatewayError):
    """An invoice rule was broken outside an HTTP request."""


class IllegalTransition(InvoiceError, IllegalStateTransition):
    """The requested status change is not one of `states.ALLOWED`."""


class UnknownAsset(InvalidRequest):
    default_code = "unknown_asset"


class MerchantSuspended(Forbidden):
    default_code = "merchant_suspended"


class NotCancellable(Conflict):
    default_code = "invoice_not_cancellable"
