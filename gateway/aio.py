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
    """Cancel `task` and wait for it to end; re-raise if the caller was cancelled meanwhile.

    Only a cancel that arrives while waiting counts: one the caller was already handling
    (stopping its helpers in a `finally`) stays the caller's to re-raise when it is done.
    A task that had already failed is stopped too, without raising its error here: the
    owner reads it from `task.exception()` (the leader loop raised a lost lock's
    LeadershipLost out of this call once, which ended the chain's watcher for good)."""
    current = asyncio.current_task()
    before = current.cancelling() if current is not None else 0
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        if current is not None and current.cancelling() > before:
            raise  # our own cancellation, not (only) the task's
    except Exception:
        return  # the task's own failure, left on the task for its owner
