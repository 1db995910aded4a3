"""The standalone worker (`python -m gateway webhooks worker`) delivers and stops cleanly;
the signature check in docs/webhooks.md works as printed."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from gateway.cli import build_parser
from gateway.events.outbox import emit
from gateway.webhooks import signing
from gateway.webhooks.cli import run_worker
from tests.plugins.eventually import eventually
from tests.webhooks.support import (
    FAST_WEBHOOKS,
    Receiver,
    add_endpoint_row,
    invoice_data,
    run_receiver,
    settings_for,
)

# Slow: runs the webhook worker as its own process.
pytestmark = pytest.mark.slow


async def test_standalone_worker_delivers_and_stops(own_db_url: str,
                                                    own_conn: asyncpg.Connection) -> None:
    assert build_parser().parse_args(["webhooks", "worker"]).action == "worker"
    merchant = "mch_" + secrets.token_hex(8)
    stop = asyncio.Event()
    async with run_receiver(Receiver()) as receiver:
        _, receiver.secret = await add_endpoint_row(own_conn, merchant, receiver.url)
        task = asyncio.create_task(run_worker(
            settings_for(own_db_url,
                         webhooks=replace(FAST_WEBHOOKS, poll_interval=Decimal(60))), stop))
        await asyncio.sleep(0.3)  # LISTEN is up: the event below must wake it, not a poll
        event_id = await emit(own_conn, merchant_id=merchant, type="invoice.created",
                              data=invoice_data("inv_" + secrets.token_hex(8)))

        async def delivered() -> bool:
            return receiver.successes(event_id) == 1
        await eventually(delivered, timeout=10)
        stop.set()
        await asyncio.wait_for(task, 10)
    assert receiver.requests[0]["valid"]


def test_documented_verification_snippet() -> None:
    text = (Path(__file__).parents[2] / "docs" / "webhooks.md").read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(code, namespace)
    verify = namespace["verify"]
    assert callable(verify)
    body, now = b'{"id":"evt_1"}', int(time.time())
    assert verify("whsec_a", signing.header("whsec_a", now, body), body)
    assert not verify("whsec_b", signing.header("whsec_a", now, body), body)
    assert not verify("whsec_a", signing.header("whsec_a", now, body), body + b" ")
    assert not verify("whsec_a", signing.header("whsec_a", now - 3600, body), body)
