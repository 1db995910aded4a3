"""The batch lifecycle as an explicit state machine.

    open ──> closed ──> exported ──> paid
      │                     └──────> failed   (payout reversed, money back on the payable)
      └──> carried_forward   (net <= 0: nothing to pay, the negative is carried to the next batch)

The same table is enforced by a trigger on `settlement_batches` (SE003), and every UPDATE is
guarded by the expected current status, so two processes can never both move one batch.
"""

from __future__ import annotations

from enum import StrEnum

from settlement.batches.errors import IllegalBatchTransition


class BatchStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CARRIED_FORWARD = "carried_forward"
    EXPORTED = "exported"
    PAID = "paid"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return not TRANSITIONS[self]


TRANSITIONS: dict[BatchStatus, frozenset[BatchStatus]] = {
    BatchStatus.OPEN: frozenset({BatchStatus.CLOSED, BatchStatus.CARRIED_FORWARD}),
    BatchStatus.CLOSED: frozenset({BatchStatus.EXPORTED}),
    BatchStatus.EXPORTED: frozenset({BatchStatus.PAID, BatchStatus.FAILED}),
    BatchStatus.CARRIED_FORWARD: frozenset(),
    BatchStatus.PAID: frozenset(),
    BatchStatus.FAILED: frozenset(),
}


def check_transition(batch_id: str, current: BatchStatus, target: BatchStatus) -> None:
    """Raise IllegalBatchTransition unless `current -> target` is in the lifecycle."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing (final)"
        raise IllegalBatchTransition(
            f"batch {batch_id} is {current}; it cannot become {target} (allowed: {allowed})"
        )
