"""The invoice payment rules as a pure function: what the credited transfers mean for an
invoice right now. No I/O; `service.py` loads the facts, calls `decide` and carries out the
decision (guarded UPDATEs, events, booking) in one transaction.

Amounts are tiyn. A transfer is worth `value_tiyn` = floor(units * rate * 100 / 10^decimals)
at the rate locked in the invoice's quote for that asset (floor: never credit more than was
paid; a shopper who pays the quoted, ceil-rounded units is still credited the full amount).

    due        = amount - max(amount * tolerance_bps / 10000, tolerance_tiyn)   (at least 1)
    seen       = value of credited transfers not removed (detected or final)
    final      = value of credited transfers that are final
    completed  = when the running total (in chain time) first reached `due`
    late       = completed after expires_at; accepted automatically when completed within
                 expires_at + late_accept_window (a zero window never accepts)

    new        seen >= due, on time          -> processing (paid_over if seen > amount)
               seen >= due, late             -> expired, then as below
               0 < seen < due                -> new + paid_partial   (invoice.paid_partial)
               now >= expires_at             -> expired              (invoice.expired)
    expired    seen >= due, on time/accepted -> processing (+ paid_late if late)
               seen >= due, late, not acc.   -> expired + paid_late  (left for a decision)
               more money arrived, partial   -> expired + paid_late / paid_partial
    processing paid, final >= due            -> settled (booked)     (invoice.settled)
               paid, window over             -> invalid (never final) (invoice.invalid)
               not paid, before expiry       -> new (+ paid_partial if some remains)
                                                                      (invoice.reverted)
               not paid, after expiry        -> processing, waiting; no event, amount_paid
                                                and the exception follow what still counts
               not paid, window over         -> invalid               (invoice.invalid)
    (window over: now >= expires_at + monitoring_window)
    after processing, final >= due also settles in the same decision.

"Paid" in processing means seen >= due, completed on time or late within the late window
(the test `expired -> processing` passed). "Not paid" is a reorg (or a dropped transaction)
that took back the payment which made the invoice processing, or what is left completes the
amount only late, beyond the late window.

Why a payment reorged out after expiry does not make the invoice invalid at once: the chain
very often mines the same transaction again a block or two later, and it is still the payment
first seen before expiry (`Credit.at` is its first block time, migration 0071), so it counts
on time. Moving to `new` would expire it again and `expired` is the state of an invoice never
paid in time; `invalid` is final and would strand an on-time payment. So the invoice waits in
`processing` (what it was, from the shopper's and merchant's view: paid, not final) for the
rest of the monitoring window: the same transaction mined again settles it as on time, with
no `paid_late`; nothing mined again by `expires_at + monitoring_window` makes it `invalid`
(DESIGN's "reverted by a reorg" rule, delayed to the window's end; the scheduler sweeps
processing invoices then), and money arriving after that is stranded like any payment to an
invalid invoice. A different payment made after expiry while it waits is judged like one
made to an expired invoice: it settles it only when it completes the amount within the late
window (`paid_late`), otherwise it is left uncounted when the invoice goes invalid. A zero
monitoring window keeps the old immediate `invalid`.

Dust: a transfer below its asset's configured floor (EXCEPTIONS_DUST_FLOORS, `is_dust`) is
never credited: it is classified unapplied, so it never changes an invoice's status or
exception (a flood of 1-lamport transfers carrying a victim's reference cannot make it
`paid_partial` and uncancellable); the exceptions queue lists it, one line per address.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.invoices.states import InvoiceException, InvoiceStatus

S = InvoiceStatus
X = InvoiceException
BPS = 10_000


def is_dust(units: int, floor: int | None) -> bool:
    """Whether a transfer of `units` base units is dust under its asset's floor (None: the
    asset has no floor, nothing is dust)."""
    return floor is not None and units < floor


def amount_due(amount: int, tolerance_bps: int, tolerance_tiyn: int) -> int:
    """The least value that counts as paid in full (the tolerance is the larger allowance)."""
    allowance = max(amount * tolerance_bps // BPS, tolerance_tiyn)
    return max(1, amount - allowance)


@dataclass(frozen=True, slots=True)
class Terms:
    """What the rules need of an invoice."""

    status: InvoiceStatus
    exception: InvoiceException | None
    amount: int
    amount_paid: int
    expires_at: datetime
    monitoring_window: timedelta
    late_accept_window: timedelta
    tolerance_bps: int
    tolerance_tiyn: int


@dataclass(frozen=True, slots=True)
class Credit:
    """A credited transfer: its value, whether it is final and when the chain saw it."""

    value: int
    final: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class Step:
    """One guarded status move and the event written with it."""

    target: InvoiceStatus
    event: str


@dataclass(frozen=True, slots=True)
class Decision:
    steps: tuple[Step, ...]
    exception: InvoiceException | None
    amount_paid: int
    # Events without a status move (written once, after the moves).
    notices: tuple[str, ...] = ()

    @property
    def settles(self) -> bool:
        return any(step.target is S.SETTLED for step in self.steps)

    def changes(self, terms: Terms) -> bool:
        return bool(self.steps or self.notices) or (self.exception, self.amount_paid) != (
            terms.exception, terms.amount_paid)


@dataclass(frozen=True, slots=True)
class _Totals:
    seen: int
    final: int
    due: int
    completed_at: datetime | None
    any_late: bool


def _totals(terms: Terms, credits: Sequence[Credit]) -> _Totals:
    due = amount_due(terms.amount, terms.tolerance_bps, terms.tolerance_tiyn)
    running, completed_at = 0, None
    for credit in sorted(credits, key=lambda c: c.at):
        running += credit.value
        if completed_at is None and running >= due:
            completed_at = credit.at
    return _Totals(
        seen=running, final=sum(c.value for c in credits if c.final), due=due,
        completed_at=completed_at, any_late=any(c.at > terms.expires_at for c in credits),
    )


def _is_late(terms: Terms, t: _Totals) -> bool:
    return t.completed_at is not None and t.completed_at > terms.expires_at


def _accepts_late(terms: Terms, t: _Totals) -> bool:
    window = terms.late_accept_window
    return (window > timedelta(0) and t.completed_at is not None
            and t.completed_at <= terms.expires_at + window)


def _paid_exception(terms: Terms, t: _Totals, late: bool) -> InvoiceException | None:
    if late:
        return X.PAID_LATE
    return X.PAID_OVER if t.seen > terms.amount else None


def _to_processing(terms: Terms, t: _Totals, prefix: tuple[Step, ...], late: bool,
                   notices: tuple[str, ...]) -> Decision:
    steps = (*prefix, Step(S.PROCESSING, "invoice.processing"))
    if t.final >= t.due:
        steps = (*steps, Step(S.SETTLED, "invoice.settled"))
    return Decision(steps, _paid_exception(terms, t, late), t.seen, notices)


def _decide_new(terms: Terms, t: _Totals, now: datetime) -> Decision:
    if t.seen >= t.due and not _is_late(terms, t):
        return _to_processing(terms, t, (), False, ())
    expired = now >= terms.expires_at or _is_late(terms, t)
    if not expired:
        if t.seen > terms.amount_paid:
            return Decision((), X.PAID_PARTIAL, t.seen, ("invoice.paid_partial",))
        return Decision((), terms.exception, t.seen)
    expiring = Step(S.EXPIRED, "invoice.expired")
    after = _decide_expired(terms, t)
    return Decision((expiring, *after.steps), after.exception, after.amount_paid, after.notices)


def _decide_expired(terms: Terms, t: _Totals) -> Decision:
    fresh = t.seen > terms.amount_paid  # money arrived since the invoice was last updated
    if not fresh and terms.status is S.EXPIRED:
        return Decision((), terms.exception, t.seen)
    late = _is_late(terms, t)
    notices = ("invoice.paid_late",) if t.any_late and fresh else ()
    if t.seen >= t.due and (not late or _accepts_late(terms, t)):
        return _to_processing(terms, t, (), late, notices)
    if t.seen == 0:
        return Decision((), terms.exception, 0)
    if t.any_late:
        return Decision((), X.PAID_LATE, t.seen, notices)
    partial = ("invoice.paid_partial",) if fresh else ()
    return Decision((), X.PAID_PARTIAL, t.seen, partial)


def _paid_in_processing(terms: Terms, t: _Totals) -> bool:
    """Whether what counts now still pays a processing invoice: the full amount, completed on
    time or within the late window (the same test `expired -> processing` passed)."""
    return t.seen >= t.due and (not _is_late(terms, t) or _accepts_late(terms, t))


def _unpaid_processing(terms: Terms, t: _Totals, now: datetime) -> Decision:
    """The payment that made it processing was reorged out (or dropped): back to `new` before
    expiry; after it, wait in processing for the same transaction to be mined again until the
    monitoring window ends, then `invalid` (see the module docstring for why)."""
    partial = X.PAID_PARTIAL if t.seen > 0 else None
    if now < terms.expires_at:
        return Decision((Step(S.NEW, "invoice.reverted"),), partial, t.seen)
    if now >= terms.expires_at + terms.monitoring_window:
        return Decision((Step(S.INVALID, "invoice.invalid"),), terms.exception, t.seen)
    keep_late = X.PAID_LATE if terms.exception is X.PAID_LATE or t.any_late else None
    return Decision((), keep_late or partial, t.seen)


def _decide_processing(terms: Terms, t: _Totals, now: datetime) -> Decision:
    if not _paid_in_processing(terms, t):
        return _unpaid_processing(terms, t, now)
    keep_late = X.PAID_LATE if terms.exception is X.PAID_LATE or _is_late(terms, t) else None
    if t.final >= t.due:
        exception = keep_late or (X.PAID_OVER if t.final > terms.amount else None)
        return Decision((Step(S.SETTLED, "invoice.settled"),), exception, t.final)
    if now >= terms.expires_at + terms.monitoring_window:
        return Decision((Step(S.INVALID, "invoice.invalid"),), terms.exception, t.seen)
    return Decision((), keep_late or _paid_exception(terms, t, False), t.seen)


def decide(terms: Terms, credits: Sequence[Credit], now: datetime) -> Decision:
    """What should happen to an invoice given its credited transfers at `now`."""
    t = _totals(terms, credits)
    if terms.status is S.NEW:
        return _decide_new(terms, t, now)
    if terms.status is S.EXPIRED:
        return _decide_expired(terms, t)
    if terms.status is S.PROCESSING:
        return _decide_processing(terms, t, now)
    return Decision((), terms.exception, terms.amount_paid)  # settled, invalid, cancelled
