"""Values every watcher shares: a detected transfer, its status moves, block references.

A chain watcher (BNB Chain here, Solana alongside) only fetches, parses and reports
`DetectedTransfer`s plus finality and removal of what it reported; storing, the exactly-once
guarantee and the invoice lifecycle are shared (`gateway.transfers`, `gateway.lifecycle`).

Transfer statuses:

    detected ──► finalized          (final: booked, never moves again)
       │  ▲
       ▼  │ (re-included after a reorg)
     removed
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gateway.chains.errors import IllegalTransferMove

NATIVE_LOG_INDEX = -1  # native coin transfers carry no log; one per transaction


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


@dataclass(frozen=True, slots=True)
class BlockRef:
    """A block (Solana: a slot) by number and hash."""

    number: int
    hash: str


@dataclass(frozen=True, slots=True)
class DetectedTransfer:
    """One payment seen on chain, matched to an invoice by the watcher's watched set.

    `amount` is in base units (wei, lamports, token units). `to_address` is the deposit
    address (BNB Chain) or the recipient (Solana); `invoice_id` is None when the payment
    reached us but matches no invoice (recorded as unmatched).
    """

    chain: str
    tx_hash: str
    log_index: int
    block_number: int
    block_hash: str
    block_time: datetime | None
    asset: str
    token: str | None
    from_address: str | None
    to_address: str
    amount: int
    invoice_id: str | None
