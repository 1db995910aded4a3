"""Values every watcher shares: a detected transfer and block references.

A chain watcher (BNB Chain, Solana) only fetches, parses and reports `DetectedTransfer`s plus
finality and removal of what it reported (gateway.chains.facts); storing, the exactly-once
guarantee and the invoice lifecycle are downstream (`gateway.transfers`, `gateway.lifecycle`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

NATIVE_LOG_INDEX = -1  # native coin transfers carry no log; one per transaction


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
