"""What a watcher knows of its node and of its own progress, for the status heartbeat.

A watcher updates its `Health` in memory as it works (cheap attribute writes, no I/O); the
composition (gateway.pipeline) hands the same object to the status heartbeat
(gateway.status.monitor), which stores it in PostgreSQL every few seconds. The state rules
(live / lagging / halted) are gateway.status.service's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Health:
    head: int | None = None            # the node's newest block / slot
    scanned: int | None = None         # the highest block / slot processed completely
    finalized: int | None = None       # the highest block / slot treated as final
    # Both start at the watcher's start: a watcher that never catches up, or a node whose
    # head never moves, turns its chain `lagging` after CHAIN_LAG_LIMIT.
    caught_up_at: datetime = field(default_factory=_now)
    head_moved_at: datetime = field(default_factory=_now)
    last_error: str | None = None
    transfers: int = 0                 # counters since this process started watching
    reorgs: int = 0
    errors: int = 0

    def observed(self, head: int) -> None:
        """The node answered with its head."""
        if self.head is None or head > self.head:
            self.head_moved_at = _now()
        self.head = head

    def progressed(self, scanned: int, finalized: int | None = None) -> None:
        """A step succeeded: processed through `scanned` (caught up when at the head)."""
        self.scanned = scanned
        if finalized is not None and finalized >= 0:
            self.finalized = finalized
        if self.head is None or scanned >= self.head:
            self.caught_up_at = _now()
        self.last_error = None

    def failed(self, error: str) -> None:
        self.errors += 1
        self.last_error = error[:500]
