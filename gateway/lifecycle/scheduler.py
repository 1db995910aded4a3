"""Expiry and the monitoring window on a schedule that survives restarts.

There is no in-memory timer to lose: the state is the invoices table itself. Every
`interval` one sweep selects open invoices whose `expires_at` (new) or
`expires_at + monitoring_window` (processing) has passed, through the partial index on
open invoices, locks them with `FOR UPDATE SKIP LOCKED` (a watcher holding one is not
waited for; the next sweep gets it) and applies the lifecycle to each: new -> expired,
processing -> invalid, or settled if its payment became final meanwhile. A process that was
down simply finds more due rows on its first sweep. Full batches are followed immediately
by the next one.
"""

from __future__ import annotations

import asyncio

import asyncpg

from gateway.lifecycle import queries as q
from gateway.lifecycle.service import apply_invoices
from gateway.log import get_logger

log = get_logger(__name__)
TRANSIENT = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Sweeper:
    def __init__(self, pool: asyncpg.Pool, *,
                 interval: float = 1.0, batch: int = 200) -> None:  # float-ok
        self.pool = pool
        self.interval = interval
        self.batch = batch

    async def sweep_once(self) -> int:
        """Apply the lifecycle to one batch of due invoices; how many there were."""
        async with self.pool.acquire() as conn, conn.transaction():
            now = await q.select_now(conn)
            due = await q.select_due(conn, now, self.batch)
            outcome = await apply_invoices(conn, due)
        if outcome:
            log.info("lifecycle_sweep", invoices=len(outcome),
                     statuses=sorted({s.value for s in outcome.values()}))
        return len(due)

    async def run(self) -> None:
        """Sweep until cancelled; database faults are logged and retried next interval."""
        while True:
            try:
                count = await self.sweep_once()
            except TRANSIENT as exc:
                log.warning("lifecycle_sweep_failed", error=str(exc))
                count = 0
            if count < self.batch:
                await asyncio.sleep(self.interval)
