"""The active watcher's side of chain status: its heartbeat, its halt, its wait for a resync.

gateway.pipeline runs one `ChainMonitor` per watched chain under the chain's leader lock:
`heartbeat(health)` stores the watcher's `Health` every CHAIN_STATUS_HEARTBEAT seconds;
`halt(reason)` stores a broken invariant and logs it at error level; `wait_resumed()` blocks
a (re)starting watcher while its chain is halted, logging the halt again at error level so a
restart never stalls without a word, until `chains resync` clears it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

import asyncpg

from gateway.log import get_logger
from gateway.status import queries as q

log = get_logger(__name__)


class Health(Protocol):
    """What the heartbeat reads of a watcher (gateway.chains.health.Health)."""

    head: int | None
    scanned: int | None
    finalized: int | None
    caught_up_at: datetime
    head_moved_at: datetime
    last_error: str | None
    transfers: int
    reorgs: int
    errors: int


class ChainMonitor:
    def __init__(self, pool: asyncpg.Pool, chain: str, interval: float) -> None:  # float-ok
        self.pool = pool
        self.chain = chain
        self.interval = interval
        self.log = log.bind(chain=chain)
        self._health: Health | None = None
        self._stored = (0, 0, 0)  # counters of `_health` already added to the row

    async def beat(self, health: Health) -> None:
        """Store the watcher's health; its counters as deltas since the last beat."""
        if health is not self._health:
            self._health, self._stored = health, (0, 0, 0)
        counts = (health.transfers, health.reorgs, health.errors)
        delta = (counts[0] - self._stored[0], counts[1] - self._stored[1],
                 counts[2] - self._stored[2])
        async with self.pool.acquire() as conn:
            await q.upsert_heartbeat(conn, self.chain, health.head, health.scanned,
                                     health.finalized, health.caught_up_at,
                                     health.head_moved_at, health.last_error, delta,
                                     datetime.now(UTC))
        self._stored = counts

    async def heartbeat(self, health: Callable[[], Health]) -> None:
        """Beat every interval until cancelled; a failed beat is retried at the next one.
        `health` is read at every beat (a watcher may assemble it from its own counters)."""
        while True:
            try:
                await self.beat(health())
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                self.log.warning("chain_heartbeat_failed", error=str(exc))
            await asyncio.sleep(self.interval)

    async def stand_down(self) -> None:
        """This watcher stops on purpose: no heartbeat is due until another one leads (a
        crashed watcher's heartbeat just ages, and its chain turns lagging)."""
        async with self.pool.acquire() as conn:
            await q.stand_down(conn, self.chain)
        self.log.info("chain_watcher_stood_down")

    async def halt(self, reason: str) -> None:
        async with self.pool.acquire() as conn:
            await q.set_halt(conn, self.chain, reason)
        self.log.error("chain_halted", reason=reason,
                       action=f"python -m gateway chains resync --chain {self.chain}")

    async def halted(self) -> str | None:
        async with self.pool.acquire() as conn:
            row = await q.select_halt(conn, self.chain)
        return row["halted_reason"] if row is not None else None

    async def wait_resumed(self) -> None:
        """Return once the chain is not halted (at once, usually)."""
        reason = await self.halted()
        if reason is None:
            return
        self.log.error("chain_halted", reason=reason, state="waiting for a resync",
                       action=f"python -m gateway chains resync --chain {self.chain}")
        while reason is not None:
            await asyncio.sleep(self.interval)
            reason = await self.halted()
        self.log.info("chain_resumed")
