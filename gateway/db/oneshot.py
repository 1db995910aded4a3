"""One database job of a CLI command: `run_job(settings, work)`.

A command runs once and exits, so it opens a pool of one connection (through `create_pool`,
so the jsonb codec is installed as everywhere else in the gateway), runs `work` on it and
closes the pool, in an event loop of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from gateway.config import Settings
from gateway.db.pool import create_pool, database_url
from settlement.db import Conn

T = TypeVar("T")


def run_job(settings: Settings, work: Callable[[Conn], Awaitable[T]]) -> T:
    """`work(conn)` on a new connection to the gateway's database; its result."""
    return asyncio.run(_run(settings, work))


async def _run(settings: Settings, work: Callable[[Conn], Awaitable[T]]) -> T:
    pool = await create_pool(database_url(settings), min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            return await work(conn)
    finally:
        await pool.close()
