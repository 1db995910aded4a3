"""The watched set adds a new invoice from its `invoice.created` notice alone."""

from __future__ import annotations

import json
from typing import Any

from gateway.chains.watched import CHANNEL, WatchedSet


class NoPool:
    """A pool that must not be used: the notice carries everything."""

    def acquire(self) -> Any:
        raise AssertionError("the watched set queried the database for a notice")


def _notice(invoice_id: str, **watch: str | None) -> str:
    return json.dumps({"event_id": "evt_1", "type": "invoice.created", "merchant_id": "mch_1",
                       "invoice_id": invoice_id, "watch": watch})


async def test_a_notice_with_its_keys_needs_no_query() -> None:
    watched = WatchedSet("postgresql://unused", NoPool())  # type: ignore[arg-type]
    watched.track_new_keys()
    watched._on_notice(None, 0, CHANNEL, _notice(
        "inv_a", bsc_address="0xAbC0000000000000000000000000000000000001",
        solana_reference=None))
    watched._on_notice(None, 0, CHANNEL, _notice("inv_b", bsc_address=None,
                                                 solana_reference="Ref111"))
    assert watched.invoice_for_address("0xabc0000000000000000000000000000000000001") == "inv_a"
    assert watched.invoice_for_reference("Ref111") == "inv_b"
    assert watched.take_new_keys() == {"0xabc0000000000000000000000000000000000001": "inv_a",
                                       "Ref111": "inv_b"}
