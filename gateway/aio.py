"""Stopping background tasks without losing the caller's own cancellation.

The usual idiom `task.cancel(); with suppress(CancelledError): await task` has a trap: if the
task running it is itself cancelled while it waits, that CancelledError is suppressed too,
and a loop around it (a leader's lead-or-stand-by loop, a watcher waiting for a resync)
runs on forever while its owner waits for it to end: the app's cleanup hangs. Found by a
test that cancelled a halted chain's watcher while it was stopping its heartbeat.
"""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(task: asyncio.Future[Any]) -> None:
    """Cancel `task` and wait for it to end; re-raise if the caller was cancelled meanwhile."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # our own cancellation, not (only) the task's
