"""What a watcher tells the rest of the gateway: facts about a chain, and the sink they go to.

A watcher observes a chain and emits `Facts` (transfers seen, removed or final; its cursor
moved) into a `FactSink`. It never writes to PostgreSQL itself and knows nothing of invoices
beyond matching a payment to one: the sink (gateway.transfers.sink, handed over by
gateway.pipeline) stores a batch and applies the invoice lifecycle in one transaction, so the
facts, the cursor and the invoice states commit together or not at all. A new chain plugs in
by writing a watcher that emits facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from gateway.chains.models import BlockRef, DetectedTransfer


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a watcher is: the last followed block (Solana: slot and signature)."""

    chain: str
    block: BlockRef
    finalized_number: int
    position: str | None


@dataclass(frozen=True, slots=True)
class BlockLink:
    """A followed block: its number, hash and parent hash (for the reorg check)."""

    number: int
    hash: str
    parent_hash: str


@dataclass(frozen=True, slots=True)
class Facts:
    """One batch of facts about `chain`, stored in one transaction in this order.

    `cursor` names the cursor the batch moves; it is claimed first and must still be at
    `expected` (None: not started), else the batch is refused (StaleCursor) and nothing of it
    is stored. Followed blocks, their hashes and the finalized number are kept per cursor
    (BNB Chain's one cursor is named after the chain). A batch without a cursor (a finality
    sweep) claims none and may only name transactions: seen, removed, final.
    """

    chain: str
    cursor: str | None = None
    expected: BlockRef | None = None
    rolled_back_to: BlockRef | None = None  # a reorg: transfers above it removed, cursor moved
    seen: Sequence[DetectedTransfer] = ()   # stored once; a removed one seen again revives
    removed: Sequence[str] = ()             # transactions that left the chain
    final_through: int | None = None        # every transfer at or below this block is final
    final: Sequence[str] = ()               # transactions that became final
    followed: Sequence[BlockLink] = ()      # blocks followed; the cursor moves to the last
    moved_to: BlockRef | None = None        # the cursor moves here (its hash as position)
    forget_below: int | None = None         # block hashes below this are no longer needed
    # An operator's resync (`chains resync`): rolled_back_to may lie below finality; final
    # transfers above it stay as they are (booked money is undone only by a decision) and
    # the finalized number comes down to the fork point.
    resync: bool = False


class FactSink(Protocol):
    """Where watchers emit facts, and the little they read back (their own positions)."""

    async def emit(self, facts: Facts) -> set[str]:
        """Store the batch and apply the lifecycle; the ids of the invoices it touched."""
        ...

    async def cursor(self, name: str) -> Cursor | None: ...

    async def block_hashes(self, cursor: str, lo: int, hi: int) -> dict[int, str]:
        """Stored hashes of the blocks numbered lo..hi that `cursor` followed."""
        ...

    async def lowest_block(self, cursor: str) -> int | None: ...

    async def open_transactions(self, chain: str, limit: int) -> list[tuple[str, int]]:
        """(tx hash, block) of transfers not final yet, oldest first."""
        ...

    async def invoices_by_reference(self, keys: Sequence[str]) -> dict[str, str]:
        """reference -> invoice id for the keys that are some invoice's payment reference
        (the slow path for a payment the in-memory watched set did not match)."""
        ...
