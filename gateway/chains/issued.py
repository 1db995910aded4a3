"""Every BNB Chain deposit address ever issued, in a compact in-memory set.

A payment to an address we gave out must be recorded whatever its invoice's state (settled,
expired, cancelled, out of its monitoring window), so matching cannot stop at the open
invoices. Holding every issued address as a string (and its invoice id) would cost a few
hundred bytes each; this set keeps only the first 8 bytes of each address as a signed 64-bit
integer in one sorted `array` (8 bytes an address: 8 MB for a million), plus a small Python
set of those added since it was built. Membership is a binary search, independent of chain
traffic and nearly of the set's size; in front of it a 2 MB bitmap of the addresses' first
24 bits answers "no" at once for almost every recipient (a million addresses mark about 6 %
of the 16.7 million buckets), so a block's cost barely depends on how many were issued.

A hit can be a false positive (another address sharing the 64-bit prefix; about one in 10^13
per lookup with a million addresses), so it only means "ask the database": the watched set
resolves hits to invoices with one indexed query (gateway.chains.watched).
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left

_SIGN = 1 << 63
_WRAP = 1 << 64
_PREFIX_HEX = 16  # hex digits of the 8-byte prefix, after "0x"
_BUCKET_HEX = 6  # the bitmap's key: the first 24 bits of an address
_BUCKET_SHIFT = 40  # 64 - 24: a prefix's bucket


def prefix(address: str) -> int:
    """The first 8 bytes of a hex address as a signed 64-bit integer (PostgreSQL's bigint)."""
    value = int(address[2:2 + _PREFIX_HEX], 16)
    return value - _WRAP if value >= _SIGN else value


class IssuedAddresses:
    """Membership of hex addresses (any case) in the set of issued deposit addresses."""

    def __init__(self, packed: bytes = b"") -> None:
        """`packed`: big-endian 8-byte prefixes in ascending signed order, as
        gateway.chains.queries.issued_prefixes returns them."""
        self._sorted = array("q")
        self._sorted.frombytes(packed)
        if sys.byteorder == "little":
            self._sorted.byteswap()
        self._added: set[int] = set()
        self._buckets = bytearray(1 << (_BUCKET_HEX * 4 - 3))
        for key in self._sorted:
            self._mark(key)

    def _mark(self, key: int) -> None:
        bucket = (key % _WRAP) >> _BUCKET_SHIFT
        self._buckets[bucket >> 3] |= 1 << (bucket & 7)

    def __len__(self) -> int:
        return len(self._sorted) + len(self._added)

    def add(self, address: str) -> None:
        key = prefix(address)
        self._added.add(key)
        self._mark(key)

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, str) or len(address) < 2 + _PREFIX_HEX:
            return False
        bucket = int(address[2:2 + _BUCKET_HEX], 16)
        if not self._buckets[bucket >> 3] & (1 << (bucket & 7)):
            return False
        key = prefix(address)
        if key in self._added:
            return True
        at = bisect_left(self._sorted, key)
        return at < len(self._sorted) and self._sorted[at] == key
