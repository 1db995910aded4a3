"""The leader lock across a SIGKILL (found worth pinning by a chaos-run stall): a process
holding a chain's lock dies without any cleanup, and a standby polling the same lock holds it
within a few poll intervals, because PostgreSQL ends the dead process's session (and frees its
session advisory lock) as soon as the socket closes, not after TCP keepalive."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest

from gateway.aio import cancel_and_wait
from gateway.chains.leader import LeaderLock, lead

ROOT = Path(__file__).resolve().parents[2]
NAME = "watcher:test-sigkill"
# The leader: takes the lock, says so, and works (sleeps) until killed.
LEADER = """
import asyncio, sys
from gateway.chains.leader import LeaderLock

async def main() -> None:
    lock = LeaderLock(sys.argv[1], sys.argv[2], poll_interval=0.1)
    await lock.acquire()
    print("held", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""
TAKEOVER_BOUND_S = 5.0


@pytest.mark.slow
async def test_a_standby_takes_the_lock_soon_after_the_leader_is_killed(
        database_url: str) -> None:
    leader = subprocess.Popen([sys.executable, "-c", LEADER, database_url, NAME], cwd=ROOT,
                              stdout=subprocess.PIPE, start_new_session=True)
    standby = LeaderLock(database_url, NAME, poll_interval=0.1)
    try:
        assert leader.stdout is not None
        lines = iter(leader.stdout.readline, b"")  # its log lines come first
        said = await asyncio.wait_for(asyncio.to_thread(lambda: b"held\n" in lines), 30)
        assert said, "the leader ended before taking the lock"
        assert not await standby.try_acquire()  # the leader really holds it
        os.killpg(leader.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        await asyncio.wait_for(standby.acquire(), TAKEOVER_BOUND_S)
        assert time.monotonic() - killed_at < TAKEOVER_BOUND_S
    finally:
        if leader.poll() is None:
            os.killpg(leader.pid, signal.SIGKILL)
        leader.wait(10)
        await standby.release()


async def test_a_leader_whose_lock_connection_dies_takes_the_lock_again(
        database_url: str, db_pool: asyncpg.Pool) -> None:
    """The lock connection fails (here: its session is terminated; under load: a ping slower
    than 3 check intervals): the work stops, and `lead` goes back to polling and leads again.
    It once let the holder's LeadershipLost escape instead, which ended the chain's watcher
    for the life of the process without a word (the Solana portal tests' unseen payments)."""
    lock = LeaderLock(database_url, "watcher:test-lost", poll_interval=0.05,
                      check_interval=0.05)
    started = asyncio.Queue[None]()

    async def work() -> None:
        started.put_nowait(None)
        await asyncio.sleep(3600)

    leading = asyncio.ensure_future(lead(lock, work))
    try:
        await asyncio.wait_for(started.get(), 10)
        assert lock._conn is not None
        lock_pid = lock._conn.get_server_pid()
        await db_pool.execute("SELECT pg_terminate_backend($1)", lock_pid)
        await asyncio.wait_for(started.get(), 10)  # the work runs again: it leads again
        assert not leading.done()
        assert lock._conn is not None and lock._conn.get_server_pid() != lock_pid
    finally:
        await cancel_and_wait(leading)
