"""Webhook errors, under `GatewayError` / `ApiError` (see gateway.errors for the whole tree).

    GatewayError
    ├── WebhookError               webhook rules outside HTTP
    │   ├── IllegalDeliveryMove    a delivery/endpoint status move its table does not list
    │   │                          (also an IllegalStateTransition, as every lifecycle's is)
    │   └── DeliveryAttemptError   one HTTP attempt failed (status, timeout, connection)
    └── ApiError
        └── InvalidRequest
            ├── UrlNotAllowed      400 url_not_allowed (param: url)
            └── InvalidEventFilter 400 invalid_events (param: enabled_events)
"""

from __future__ import annotations

from gateway.errors import GatewayError, IllegalStateTransition, InvalidRequest


class WebhookError(GatewayError):
    """A webhook rule was broken outside an HTTP request."""


class IllegalDeliveryMove(WebhookError, IllegalStateTransition):
    """A delivery or endpoint status change that its state machine does not allow."""


class DeliveryAttemptError(WebhookError):
    """One delivery attempt failed; `status_code` is set when the receiver answered."""

    def __init__(self, message: str, *, status_code: int | None = None,
                 excerpt: str = "") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.excerpt = excerpt


class UrlNotAllowed(InvalidRequest):
    """The webhook URL is malformed, not https outside dev, or points into a private network."""

    default_code = "url_not_allowed"

    def __init__(self, message: str) -> None:
        super().__init__(f"The webhook URL is not allowed: {message}.", param="url")


class InvalidEventFilter(InvalidRequest):
    default_code = "invalid_events"
