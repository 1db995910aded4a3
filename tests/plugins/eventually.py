"""`eventually()`: the one way a test waits for something a background task or process does."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T]], *, what: str = "the condition",
                     timeout: float = 10.0, interval: float = 0.05) -> T:  # float-ok
    """Await `check()` until it returns something truthy and return that; after `timeout`
    seconds fail naming `what` and the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} "
                                 f"(last seen: {value!r})")
        await asyncio.sleep(interval)
