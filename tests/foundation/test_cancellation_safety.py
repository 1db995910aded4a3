"""Shutdown must never hang on a background task that swallowed its cancellation.

On Python 3.11 `asyncio.wait_for` can lose a cancellation: when the awaited operation
finishes in the same loop iteration as the cancel, it returns the result instead of raising
CancelledError (python/cpython#86296, fixed in 3.12). A keep-alive loop around it (the
watched set, the leader lock, the live hub) then runs on, and the app's cleanup, which
cancels it and awaits it, waits forever. `asyncio.timeout()` does not have that race, so
gateway code uses it, and this check keeps it that way.
"""

from __future__ import annotations

from pathlib import Path

GATEWAY = Path(__file__).resolve().parents[2] / "gateway"


def test_gateway_code_uses_asyncio_timeout_not_wait_for() -> None:
    offenders = [
        f"{path.relative_to(GATEWAY.parent)}:{number}"
        for path in sorted(GATEWAY.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "asyncio.wait_for(" in line and "/devnet/" not in str(path)
    ]
    assert offenders == [], (
        "use `async with asyncio.timeout(t): await ...` instead of asyncio.wait_for "
        f"(it can swallow a cancellation on Python 3.11): {offenders}")
