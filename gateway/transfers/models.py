"""How a stored transfer stands: its status (moved by chain facts) and its disposition (how
the lifecycle counted it).

Transfer statuses:

    detected ──► finalized          (final: booked, never moves again)
       │  ▲
       ▼  │ (re-included after a reorg)
     removed
"""

from __future__ import annotations

from enum import StrEnum

from gateway.chains.errors import IllegalTransferMove


class TransferStatus(StrEnum):
    DETECTED = "detected"    # in the canonical chain as we follow it (latest / confirmed)
    FINALIZED = "finalized"  # at or below the finalized block / finalized commitment
    REMOVED = "removed"      # its block was reorged out (or the transaction was dropped)


class Disposition(StrEnum):
    """How the lifecycle counted a transfer (decided once, when it is first applied)."""

    CREDITED = "credited"        # counts towards the invoice's amount paid
    WRONG_ASSET = "wrong_asset"  # an asset the invoice did not offer: kept for a refund
    UNAPPLIED = "unapplied"      # arrived when the invoice could take no more payments
    UNMATCHED = "unmatched"      # paid to us, but no invoice matches (e.g. no reference)


TRANSFER_MOVES: frozenset[tuple[TransferStatus, TransferStatus]] = frozenset({
    (TransferStatus.DETECTED, TransferStatus.FINALIZED),
    (TransferStatus.DETECTED, TransferStatus.REMOVED),
    (TransferStatus.REMOVED, TransferStatus.DETECTED),
})


def move(current: TransferStatus | str, target: TransferStatus) -> TransferStatus:
    """`target` when `current -> target` is allowed; raises IllegalTransferMove."""
    cur = TransferStatus(current)
    if (cur, target) not in TRANSFER_MOVES:
        raise IllegalTransferMove(f"a transfer cannot move from {cur} to {target}")
    return target
