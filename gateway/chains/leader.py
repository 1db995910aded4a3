"""One active watcher per chain: a PostgreSQL session advisory lock on a dedicated connection.

Every process that may watch a chain (`make run` with GATEWAY_WATCHERS=on, any number of
`python -m gateway watch --chain X`) runs `lead(lock, work)`. The process whose
`pg_try_advisory_lock` succeeds runs `work`; the others poll every `poll_interval`. The lock
lives exactly as long as the leader's session: if the leader process dies (kill -9, crash,
network loss), PostgreSQL ends the session, frees the lock, and a standby takes over within
one poll interval. The leader checks its own lock connection every `check_interval` and stops
working the moment it is gone (`LeadershipLost`), so two leaders never write at once for
longer than that (and the cursor check in the store refuses interleaved writes anyway).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Awaitable, Callable

import asyncpg

from gateway.aio import cancel_and_wait
from gateway.chains.errors import LeadershipLost
from gateway.log import get_logger

log = get_logger(__name__)

TRY_LOCK = "SELECT pg_try_advisory_lock($1)"
UNLOCK = "SELECT pg_advisory_unlock($1)"
PING = "SELECT 1"


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for `name` (e.g. "watcher:bsc")."""
    digest = hashlib.sha256(f"ccp:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class LeaderLock:
    def __init__(self, dsn: str, name: str, *, poll_interval: float = 1.0,  # float-ok
                 check_interval: float = 1.0) -> None:  # float-ok
        self.dsn = dsn
        self.name = name
        self.key = lock_key(name)
        self.poll_interval = poll_interval
        self.check_interval = check_interval
        self._conn: asyncpg.Connection | None = None

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(self.dsn)
        return self._conn

    async def try_acquire(self) -> bool:
        conn = await self._connection()
        got: bool = await conn.fetchval(TRY_LOCK, self.key)
        return got

    async def acquire(self) -> None:
        """Wait until this process holds the lock."""
        while True:
            try:
                if await self.try_acquire():
                    log.info("leader_acquired", lock=self.name)
                    return
            except (OSError, TimeoutError, asyncpg.PostgresError,
                    asyncpg.InterfaceError) as exc:
                log.warning("leader_poll_failed", lock=self.name, error=str(exc))
                await self._drop()
            await asyncio.sleep(self.poll_interval)

    async def hold(self) -> None:
        """Return never; raise LeadershipLost as soon as the lock connection fails."""
        while True:
            await asyncio.sleep(self.check_interval)
            try:
                conn = self._conn
                if conn is None or conn.is_closed():
                    raise LeadershipLost(f"{self.name}: lock connection closed")
                async with asyncio.timeout(self.check_interval * 3):
                    await conn.fetchval(PING)
            except (OSError, TimeoutError, asyncpg.PostgresError,
                    asyncpg.InterfaceError) as exc:
                await self._drop()
                raise LeadershipLost(f"{self.name}: lock connection failed: {exc}") from exc

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await conn.close()

    async def release(self) -> None:
        conn = self._conn
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await conn.fetchval(UNLOCK, self.key)
        await self._drop()


async def lead(lock: LeaderLock, work: Callable[[], Awaitable[None]]) -> None:
    """Run `work` whenever this process is the leader; until cancelled."""
    try:
        while True:
            await lock.acquire()
            worker = asyncio.ensure_future(work())
            holder = asyncio.ensure_future(lock.hold())
            try:
                done, _ = await asyncio.wait({worker, holder},
                                             return_when=asyncio.FIRST_COMPLETED)
            except asyncio.CancelledError:
                # Cancelled from outside (shutdown): asyncio.wait leaves both tasks running,
                # and a worker outliving its lock would keep writing as a second leader.
                await cancel_and_wait(worker)
                await cancel_and_wait(holder)
                raise
            await cancel_and_wait(worker)
            await cancel_and_wait(holder)
            if holder in done and isinstance(holder.exception(), LeadershipLost):
                log.warning("leader_lost", lock=lock.name, error=str(holder.exception()))
                continue
            if worker in done and (error := worker.exception()) is not None:
                # Not transient (the work retries those itself): a broken invariant such as
                # ReorgTooDeep. Stop loudly rather than keep writing.
                log.error("leader_work_failed", lock=lock.name, error=repr(error))
                raise error
            await lock.release()
            return
    finally:
        await lock.release()
