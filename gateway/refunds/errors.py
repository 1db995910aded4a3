"""Refund errors, under `GatewayError` / `ApiError` (see gateway.errors for the whole tree).

    GatewayError
    ├── RefundError                refund rules outside HTTP
    │   └── IllegalRefundTransition a status move not in states.ALLOWED (also an
    │                               IllegalStateTransition: names `current`, `target`)
    └── ApiError
        ├── Conflict
        │   └── RefundNotCancellable  409 refund_not_cancellable
        └── Unprocessable
            ├── NothingRefundable     422 nothing_refundable (an unpaid invoice)
            ├── RefundTooLarge        422 refund_exceeds_refundable
            └── InvalidRefundAddress  422 invalid_address (param: address)
"""

from __future__ import annotations

from gateway.errors import Conflict, GatewayError, IllegalStateTransition, Unprocessable


class RefundError(GatewayError):
    """A refund rule was broken outside an HTTP request."""


class IllegalRefundTransition(RefundError, IllegalStateTransition):
    """A refund status move that states.ALLOWED does not list."""


class RefundNotCancellable(Conflict):
    default_code = "refund_not_cancellable"


class NothingRefundable(Unprocessable):
    default_code = "nothing_refundable"


class RefundTooLarge(Unprocessable):
    default_code = "refund_exceeds_refundable"


class InvalidRefundAddress(Unprocessable):
    default_code = "invalid_address"
