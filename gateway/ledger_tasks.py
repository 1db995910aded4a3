"""Background upkeep of the ledger inside the app: periodic balance snapshots.

Balances are derived from append-only postings (no hot balance rows to lock); snapshots keep
reads fast as postings grow. Any number of processes may run this (see settlement.ledger).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from gateway.appkeys import DB_POOL, SETTINGS
from settlement.ledger.balances import snapshot_loop


async def _snapshot_ctx(app: web.Application) -> AsyncIterator[None]:
    every = app[SETTINGS].ledger_snapshot_seconds
    task = asyncio.create_task(snapshot_loop(app[DB_POOL], every_seconds=every))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def setup(app: web.Application) -> None:
    if app[SETTINGS].ledger_snapshot_seconds > 0:
        app.cleanup_ctx.append(_snapshot_ctx)
