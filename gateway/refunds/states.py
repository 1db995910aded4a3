"""The refund lifecycle: statuses and the only legal moves (the database guards them too).

    awaiting_address ──► pending_approval ──► sending ──► sent ──► succeeded
          │    └──────────────┬───────────────▲  │          │
          │                   │   (≤ auto max)   └─► failed ◄┘
          └──────────────► cancelled ◄──(rejected / merchant cancel before sending)

awaiting_address  no address yet: the shopper picks asset and address on the claim page
pending_approval  above REFUND_AUTO_APPROVE_MAX tiyn: a zone administrator approves/rejects
sending           the sender owns it: builds, signs (hot) or waits for signed bytes
                  (offline), stores the signed transaction, then broadcasts
sent              broadcast; the chain has the transaction or will (re-broadcast, same bytes)
succeeded         final on chain; booked out of custody, network fee booked
failed            reverted, or could not be sent; the in-transit booking is reversed and the
                  stranded sources are released (refundable again)
cancelled         by the merchant or a rejecting administrator, before anything was signed

Every status change calls `transition()` first, and the SQL UPDATE is guarded by
`WHERE status = $expected` (and the refunds_transition trigger, RF001).
"""

from __future__ import annotations

from enum import StrEnum

from gateway.refunds.errors import IllegalRefundTransition
from gateway.states import Transitions


class RefundStatus(StrEnum):
    AWAITING_ADDRESS = "awaiting_address"
    PENDING_APPROVAL = "pending_approval"
    SENDING = "sending"
    SENT = "sent"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class RateKind(StrEnum):
    """Which KZT rate prices the sale part of a refund."""

    LOCKED = "locked"    # the invoice's quote for the asset
    CURRENT = "current"  # the rate now (gateway.rates)


S = RefundStatus
ALLOWED: frozenset[tuple[RefundStatus, RefundStatus]] = frozenset({
    (S.AWAITING_ADDRESS, S.PENDING_APPROVAL),
    (S.AWAITING_ADDRESS, S.SENDING),
    (S.AWAITING_ADDRESS, S.CANCELLED),
    (S.PENDING_APPROVAL, S.SENDING),
    (S.PENDING_APPROVAL, S.CANCELLED),
    (S.SENDING, S.SENT),
    (S.SENDING, S.FAILED),
    (S.SENT, S.SUCCEEDED),
    (S.SENT, S.FAILED),
})

# Refunds that still hold their stranded sources (and, for a sale part, the merchant's money).
LIVE: frozenset[RefundStatus] = frozenset(set(RefundStatus) - {S.FAILED, S.CANCELLED})
# A merchant may still cancel: nothing has been signed.
CANCELLABLE: frozenset[RefundStatus] = frozenset({S.AWAITING_ADDRESS, S.PENDING_APPROVAL})
FINAL: frozenset[RefundStatus] = frozenset({S.SUCCEEDED, S.FAILED, S.CANCELLED})


MOVES: Transitions[RefundStatus] = Transitions("refund", RefundStatus, ALLOWED,
                                              IllegalRefundTransition)


def transition(current: RefundStatus | str, target: RefundStatus | str) -> RefundStatus:
    """The target status when `current -> target` is legal; raises IllegalRefundTransition."""
    return MOVES.check(current, target)
