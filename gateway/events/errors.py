"""Event errors, under `GatewayError` (see gateway.errors for the whole tree).

    GatewayError
    └── EventError               outbox rules
        └── UnknownEventType     emit() with a type not in outbox.EVENT_TYPES
"""

from __future__ import annotations

from gateway.errors import GatewayError


class EventError(GatewayError):
    """An outbox rule was broken."""


class UnknownEventType(EventError):
    """`emit` was called with a type that is not in EVENT_TYPES (a programming error)."""
