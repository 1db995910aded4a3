"""Token buckets: burst, refill, Retry-After, and idle buckets forgotten."""

from __future__ import annotations

from gateway.http.ratelimit import TokenBuckets


def test_burst_then_refill() -> None:
    buckets = TokenBuckets(rate=2, burst=3)
    assert [buckets.take("k", now=0.0) for _ in range(3)] == [None, None, None]
    assert buckets.take("k", now=0.0) == 1
    assert buckets.take("k", now=0.5) is None  # 0.5 s * 2/s = one token back
    assert buckets.take("other", now=0.5) is None


def test_retry_after_rounds_up_to_whole_seconds() -> None:
    buckets = TokenBuckets(rate=0.25, burst=1)
    assert buckets.take("k", now=0.0) is None
    assert buckets.take("k", now=0.0) == 4


def test_full_buckets_are_swept() -> None:
    buckets = TokenBuckets(rate=1000, burst=1)
    for i in range(10_000):
        buckets.take(f"k{i}", now=0.0)
    for i in range(10_000):  # the sweep runs every 10 000 calls
        buckets.take(f"late{i}", now=100.0)
    assert len(buckets) == 10_000  # the refilled k* buckets are gone
