"""Crash points for the exactly-once tests, and nothing else.

`crash_point(name)` kills this process with SIGKILL when the environment variable
REFUND_SENDER_CRASH_AT names `name` (the SIGKILL tests in tests/refunds set it on a sender
subprocess, then restart it without). Never set outside those tests. The points, in the
order a refund meets them:

    after_nonce      a BNB Chain nonce is allocated, inside the signing transaction
    after_commit     signed bytes + hash stored and committed, not yet broadcast
    after_broadcast  the node accepted the bytes; `sent` not yet committed
    before_final     the transaction is final; `succeeded` not yet committed
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "REFUND_SENDER_CRASH_AT"
POINTS = ("after_nonce", "after_commit", "after_broadcast", "before_final")


def crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
