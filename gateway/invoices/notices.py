"""The `invoice.created` notices of committed creates, sent in batches by one task per process.

After the commit, not in it: queries.NOTIFY_EVENT says why. In batches: every NOTIFY
transaction wakes every listening backend (each process's live hub, the chain watchers, the
webhook workers), so one statement per batch instead of one per invoice saves a round trip
per create and most of the listeners' work. While a batch is on its way the next one
gathers, so a notice waits at most one round trip; order is kept (commit order within this
process). Notices still pending when the process dies are lost like any notice sent while a
listener is away: the watchers find the invoice at their next reload (and match it against
recent transfers), the webhook worker at its next poll.
"""

from __future__ import annotations

import asyncio

import asyncpg

from gateway.invoices import queries as q
from gateway.log import get_logger

log = get_logger(__name__)


class CreatedNotices:
    """Notices to send; `run` sends them while the process serves."""

    def __init__(self) -> None:
        self._pending: list[str] = []
        self._wake = asyncio.Event()

    def send(self, notice: str) -> None:
        """Queue the notice of a committed create (never one that may still roll back)."""
        self._pending.append(notice)
        self._wake.set()

    async def flush(self, pool: asyncpg.Pool) -> None:
        """Send what is pending, in one statement; a failure is logged and the batch dropped."""
        self._wake.clear()
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            async with pool.acquire() as conn:
                await q.notify_events(conn, batch)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("created_notices_lost", count=len(batch), error=str(exc))

    async def run(self, pool: asyncpg.Pool) -> None:
        while True:
            await self._wake.wait()
            await self.flush(pool)
