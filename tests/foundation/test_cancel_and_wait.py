"""gateway.aio.cancel_and_wait: stopping a child task never swallows the caller's own cancel."""

from __future__ import annotations

import asyncio
import contextlib

from gateway.aio import cancel_and_wait


async def _stop_then_loop(stopping: asyncio.Event, stop: object) -> str:
    """A loop like a halted watcher's: stop a helper task, then wait on and on."""
    child = asyncio.ensure_future(asyncio.sleep(3600))
    await asyncio.sleep(0)

    async def slow_child_end() -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await child
        await asyncio.sleep(0.05)  # the child takes a moment to end (closing a connection)

    helper = asyncio.ensure_future(slow_child_end())
    stopping.set()
    if stop == "idiom":
        helper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await helper
    else:
        await cancel_and_wait(helper)
    await asyncio.sleep(0.2)  # the loop goes on: only reached when the cancel was swallowed
    return "ran on"


async def _cancel_while_stopping(stop: str) -> str:
    stopping = asyncio.Event()
    owner = asyncio.ensure_future(_stop_then_loop(stopping, stop))
    await stopping.wait()
    owner.cancel()
    try:
        return await owner
    except asyncio.CancelledError:
        return "cancelled"


async def test_the_suppress_idiom_loses_a_cancel_that_arrives_while_stopping() -> None:
    assert await _cancel_while_stopping("idiom") == "ran on"


async def test_cancel_and_wait_keeps_it() -> None:
    assert await _cancel_while_stopping("helper") == "cancelled"


async def test_cancel_and_wait_returns_when_only_the_child_was_cancelled() -> None:
    child = asyncio.ensure_future(asyncio.sleep(3600))
    await cancel_and_wait(child)
    assert child.cancelled()


async def test_a_cancel_already_being_handled_lets_every_helper_stop() -> None:
    """Stopping two helpers in the `finally` of a cancelled task: both end (the first's wait
    does not re-raise the cancel the task is already handling), then the cancel goes on."""
    helpers: list[asyncio.Future[None]] = []
    started = asyncio.Event()

    async def owner() -> None:
        helpers.extend([asyncio.ensure_future(asyncio.sleep(3600)) for _ in range(2)])
        try:
            started.set()
            await asyncio.sleep(3600)
        finally:
            for helper in helpers:
                await cancel_and_wait(helper)

    task = asyncio.ensure_future(owner())
    await started.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert task.cancelled()
    assert all(helper.cancelled() for helper in helpers)


async def test_a_failed_task_is_stopped_without_raising_its_error_here() -> None:
    """Its error stays on the task for the owner to read (the leader loop reads a lost
    lock's LeadershipLost there and leads again, instead of ending with it)."""
    async def fails() -> None:
        raise LookupError("lost")

    child = asyncio.ensure_future(fails())
    await asyncio.sleep(0)
    await cancel_and_wait(child)
    assert isinstance(child.exception(), LookupError)
