"""The transfers of the last N scanned blocks, watched or not: nothing paid is lost to the race
between a block scan and the news of a new invoice.

The race: an invoice commits, its `invoice.created` NOTIFY is on its way to the watcher, the
shopper pays at once, and the block holding the payment is scanned against a watched set that
does not have the address yet. Without a second look that payment is never recorded.

The second look: while scanning, a watcher hands every transfer candidate of every block (to
any address, watched or not) to `RecentTransfers.remember`, keyed by what matching uses (the
lower-case deposit address; a Solana reference would do as well). The watched set reports the
keys that enter it (a notice, a reload after a reconnection: `WatchedSet.take_new_keys`), and
before its next step the watcher looks those keys up here and records what it finds, in a
transaction of its own. Recording is idempotent (unique chain, tx, log index), so a payment
the normal scan already matched is not counted twice.

Cost follows chain traffic, not open invoices: one list append per transfer seen, one dict
lookup per key that enters the watched set; memory is bounded by `capacity` blocks (oldest
blocks are forgotten first). A reorg drops the blocks above the fork point (`forget_above`),
so the ring only ever holds blocks of the chain the cursor follows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

T = TypeVar("T")


class RecentTransfers(Generic[T]):
    """Transfer candidates of the last `capacity` blocks, by match key."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._blocks: deque[tuple[int, list[tuple[str, T]]]] = deque()
        self._by_key: dict[str, list[tuple[int, T]]] = {}

    def __len__(self) -> int:
        """How many transfers are held."""
        return sum(len(items) for _, items in self._blocks)

    @property
    def blocks(self) -> int:
        return len(self._blocks)

    @property
    def highest(self) -> int | None:
        return self._blocks[-1][0] if self._blocks else None

    def remember(self, block: int, items: Iterable[tuple[str, T]]) -> None:
        """Add one block's (key, transfer) pairs; blocks arrive in increasing order.

        A block at or below the highest one held means the caller re-scans after a reorg it
        did not report: the stale blocks from there up are dropped first.
        """
        highest = self.highest
        if highest is not None and block <= highest:
            self.forget_above(block - 1)
        kept = list(items)
        self._blocks.append((block, kept))
        for key, item in kept:
            self._by_key.setdefault(key, []).append((block, item))
        while len(self._blocks) > self.capacity:
            self._drop(*self._blocks.popleft(), oldest=True)

    def forget_above(self, block: int) -> None:
        """Drop every block above `block` (they were reorged out)."""
        while self._blocks and self._blocks[-1][0] > block:
            self._drop(*self._blocks.pop(), oldest=False)

    def clear(self) -> None:
        self._blocks.clear()
        self._by_key.clear()

    def _drop(self, block: int, items: list[tuple[str, T]], *, oldest: bool) -> None:
        """Unindex one block's items. A key's entries are in block order and only the oldest
        or the newest block is ever dropped, so each item's entry is at one end of its key's
        list: one item, one step (this runs for every transfer seen while catching up)."""
        by_key = self._by_key
        for key, _ in items:
            entries = by_key[key]
            if oldest:
                del entries[0]
            else:
                entries.pop()
            if not entries:
                del by_key[key]

    def find(self, keys: Iterable[str] | Mapping[str, object]) -> list[T]:
        """Every held transfer whose key is one of `keys`, oldest block first."""
        found = [pair for key in keys for pair in self._by_key.get(key, ())]
        found.sort(key=lambda pair: pair[0])
        return [item for _, item in found]
