"""Per-API-key token buckets, in process: `API_RATE_LIMIT` requests/s, bursts of `API_RATE_BURST`.

Each process limits on its own, so N API processes behind a load balancer allow up to N times
the configured rate per key; that is the documented trade for zero coordination cost.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

_SWEEP_EVERY = 10_000
# Floats here are seconds and token counts (marked float-ok), never money.


@dataclass
class _Bucket:
    tokens: float  # float-ok
    updated: float  # float-ok


class TokenBuckets:
    """`take(key)` spends one token; when none is left it returns the seconds to wait."""

    def __init__(self, rate: float, burst: int) -> None:  # float-ok
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, _Bucket] = {}
        self._calls = 0

    def take(self, key: str, now: float | None = None) -> int | None:  # float-ok
        """None when allowed; else the whole seconds (>= 1) until a token is available."""
        now = time.monotonic() if now is None else now
        bucket = self._refilled(key, now)
        self._maybe_sweep(now)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return self._wait(bucket)

    def peek(self, key: str, now: float | None = None) -> int | None:  # float-ok
        """Like `take` but spends nothing: None while a token is left, else seconds to wait."""
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(key)
        if bucket is None:
            return None
        bucket = self._refilled(key, now)
        return None if bucket.tokens >= 1.0 else self._wait(bucket)

    def _refilled(self, key: str, now: float) -> _Bucket:  # float-ok
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)  # float-ok
        else:
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)  # float-ok
            bucket.updated = now
        return bucket

    def _wait(self, bucket: _Bucket) -> int:
        return max(1, math.ceil((1.0 - bucket.tokens) / self.rate))

    def _maybe_sweep(self, now: float) -> None:  # float-ok
        # Forget buckets that have refilled completely: they are equal to a fresh bucket.
        self._calls += 1
        if self._calls % _SWEEP_EVERY:
            return
        full_after = self.burst / self.rate
        for key in [k for k, b in self._buckets.items() if now - b.updated > full_after]:
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)
