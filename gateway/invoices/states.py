"""The invoice lifecycle: states, exceptions beside them, and the only legal moves.

    new ──────────► processing ──────► settled
     │  ▲              │  ▲
     │  └──(reorg)─────┘  │
     ├──► expired ────────┤ (late payment accepted: expired -> processing | settled)
     │                    └──► invalid (at the end of the monitoring window: not final,
     │                                    or reverted after expiry and not mined again)
     └──► cancelled (merchant, before any payment)

`processing -> new` exists because a reorg before expiry can remove the only payment that
moved an invoice to processing: the invoice is then exactly as unpaid as before and may
still be paid.
A reorg that removes the payment after expiry moves nothing at once: the invoice stays
`processing` until `expires_at + monitoring_window`, because the same transaction is usually
mined again within blocks and, first seen before expiry, still pays it on time (it then
settles without `paid_late`). Not `new` (it would only expire again), not `expired` (it would
tell the merchant `invoice.expired` about an invoice paid in time, and one never paid again
would stay expired instead of becoming invalid), not `invalid` at once (final: the on-time
payment mined again would be stranded).
Only when nothing pays it again by the end of the window does it become `invalid`, so the
reorg case needs no new move (gateway/lifecycle/rules.py has the rules).
`expired -> processing|settled` is how a late payment is accepted (automatically within the
late-payment window, or by an admin/merchant decision recorded with the `marked` exception).
Every code path changing a status calls `transition()` first, and the SQL UPDATE is guarded
by `WHERE status = $expected` so a concurrent change cannot be overwritten.
"""

from __future__ import annotations

from enum import StrEnum

from gateway.invoices.errors import IllegalTransition
from gateway.states import Transitions


class InvoiceStatus(StrEnum):
    NEW = "new"
    PROCESSING = "processing"
    SETTLED = "settled"
    EXPIRED = "expired"
    INVALID = "invalid"
    CANCELLED = "cancelled"


class InvoiceException(StrEnum):
    """Recorded beside the status; at most one per invoice (the latest wins)."""

    PAID_PARTIAL = "paid_partial"
    PAID_OVER = "paid_over"
    PAID_LATE = "paid_late"
    MARKED = "marked"


S = InvoiceStatus
ALLOWED: frozenset[tuple[InvoiceStatus, InvoiceStatus]] = frozenset({
    (S.NEW, S.PROCESSING),
    (S.PROCESSING, S.SETTLED),
    (S.NEW, S.EXPIRED),
    (S.PROCESSING, S.INVALID),
    (S.NEW, S.CANCELLED),
    (S.EXPIRED, S.PROCESSING),
    (S.EXPIRED, S.SETTLED),
    (S.PROCESSING, S.NEW),
})

# States an invoice never leaves: nothing may be paid into or booked against them any more.
FINAL: frozenset[InvoiceStatus] = frozenset({S.SETTLED, S.INVALID, S.CANCELLED})


MOVES: Transitions[InvoiceStatus] = Transitions("invoice", InvoiceStatus, ALLOWED,
                                               IllegalTransition)


def can_transition(current: InvoiceStatus, target: InvoiceStatus) -> bool:
    return MOVES.allows(current, target)


def transition(current: InvoiceStatus | str, target: InvoiceStatus | str) -> InvoiceStatus:
    """The target status when `current -> target` is legal; raises `IllegalTransition`."""
    return MOVES.check(current, target)
