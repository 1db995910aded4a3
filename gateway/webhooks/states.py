"""Delivery and endpoint states and the only legal moves between them.

    delivery:  pending ──► delivered
                  │──────► failed      (retry window used up)
                  └──────► cancelled   (its endpoint was deleted)

    endpoint:  enabled ◄──► disabled
                  └────────────┴──► deleted   (kept for the delivery log, never revived)

The moves are checked by gateway.states.Transitions, as invoices' and refunds' are. Every SQL
UPDATE of a status is guarded by `WHERE status = <expected>` as well, so a
concurrent change (another worker, a deletion) is never overwritten.
"""

from __future__ import annotations

from enum import StrEnum

from gateway.states import Transitions
from gateway.webhooks.errors import IllegalDeliveryMove


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


class EndpointStatus(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"
    DELETED = "deleted"


D, E = DeliveryStatus, EndpointStatus
DELIVERY_MOVES: frozenset[tuple[DeliveryStatus, DeliveryStatus]] = frozenset({
    (D.PENDING, D.DELIVERED),
    (D.PENDING, D.FAILED),
    (D.PENDING, D.CANCELLED),
})
ENDPOINT_MOVES: frozenset[tuple[EndpointStatus, EndpointStatus]] = frozenset({
    (E.ENABLED, E.DISABLED),
    (E.DISABLED, E.ENABLED),
    (E.ENABLED, E.DELETED),
    (E.DISABLED, E.DELETED),
})

DELIVERY: Transitions[DeliveryStatus] = Transitions("delivery", DeliveryStatus, DELIVERY_MOVES,
                                                    IllegalDeliveryMove)
ENDPOINT: Transitions[EndpointStatus] = Transitions("endpoint", EndpointStatus, ENDPOINT_MOVES,
                                                    IllegalDeliveryMove)


def delivery_transition(current: str, target: DeliveryStatus) -> DeliveryStatus:
    """`target` when `current -> target` is legal; raises `IllegalDeliveryMove`."""
    return DELIVERY.check(current, target)


def endpoint_transition(current: str, target: EndpointStatus) -> EndpointStatus:
    """`target` when `current -> target` is legal; raises `IllegalDeliveryMove`."""
    return ENDPOINT.check(current, target)
