"""BIP-44 address indexes for BNB Chain deposit addresses, taken from the sequence in blocks.

`next_bsc_index` cost one round trip per invoice; to save it on the hot create path,
each API process reserves `block` values of `bsc_address_index_seq` at a time (one round trip
per `block` invoices) and hands them out in order. A value is still used at most once (the
sequence never repeats and each process pops its own), and the values a process reserved
but never used when it stops are gaps, which migration 0011 already calls harmless: the
gateway records the index of every address it hands out, so sweeping never relies on a
wallet's gap limit.
"""

from __future__ import annotations

import asyncio
from collections import deque

from gateway.invoices import queries as q
from settlement.db import Conn

DEFAULT_BLOCK = 128


class BscIndexes:
    """The process's reserved indexes; `take(conn)` refills from the sequence when empty."""

    def __init__(self, block: int = DEFAULT_BLOCK) -> None:
        if block < 1:
            raise ValueError("block must be at least 1")
        self.block = block
        self._free: deque[int] = deque()
        self._refill = asyncio.Lock()

    async def take(self, conn: Conn) -> int:
        while not self._free:
            # One refill at a time: requests that find the deque empty together wait for it
            # instead of each reserving a block (and re-check: others may have drained it).
            async with self._refill:
                if not self._free:
                    self._free.extend(await q.next_bsc_indexes(conn, self.block))
        return self._free.popleft()

    def __len__(self) -> int:
        return len(self._free)
