"""`invoice.payment_after_settlement` once per payment, however often a reorg drops the
payment and the chain mines it again (found by the chaos run: the re-mined transfer is a fresh
row, at the same or another log index, and was announced a second time)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from gateway.chains.facts import Facts
from gateway.lifecycle.service import apply_invoices
from gateway.transfers.sink import TransferSink
from tests.lifecycle.test_payments import _event_types, _fetch, _invoice, _pay
from tests.plugins.app import ApiClient

AFTER = "invoice.payment_after_settlement"


@pytest.mark.parametrize("log_index", [0, 3], ids=["same-index", "other-index"])
async def test_a_late_payment_remined_after_a_reorg_is_announced_once(
        merchant_client: tuple[str, ApiClient], db_pool: asyncpg.Pool, log_index: int) -> None:
    _, client = merchant_client
    invoice = await _invoice(client)
    units = int(invoice["payment_options"][0]["amount_units"])
    sink = TransferSink(db_pool, apply_invoices)
    paid = _pay(invoice, units)
    await sink.emit(Facts("bsc", seen=[paid], final=[paid.tx_hash]))
    assert (await _fetch(client, invoice["id"]))["status"] == "settled"
    late = replace(_pay(invoice, units // 2), block_number=5, block_hash="0xblock5")
    await sink.emit(Facts("bsc", seen=[late]))
    assert (await _event_types(db_pool, invoice["id"])).count(AFTER) == 1
    for n in range(2):  # reorged out and mined again, twice
        await sink.emit(Facts("bsc", removed=[late.tx_hash]))
        again = replace(late, log_index=log_index + n, block_number=6 + n,
                        block_hash=f"0xblock{6 + n}",
                        block_time=datetime.now(UTC) + timedelta(seconds=n + 1))
        await sink.emit(Facts("bsc", seen=[again]))
    await sink.emit(Facts("bsc", final=[late.tx_hash]))
    body = await _fetch(client, invoice["id"])
    assert body["status"] == "settled"
    assert (await _event_types(db_pool, invoice["id"])).count(AFTER) == 1
    live = [p for p in body["payments"] if p["tx"] == late.tx_hash and p["status"] == "final"]
    assert len(live) == 1 and live[0]["counted"] is False


async def test_two_late_payments_in_one_transaction_are_two_events(
        merchant_client: tuple[str, ApiClient], db_pool: asyncpg.Pool) -> None:
    """The same amount to the same address twice in one transaction is two payments (two
    events), and stays two (not four) when the transaction is mined again."""
    _, client = merchant_client
    invoice = await _invoice(client)
    units = int(invoice["payment_options"][0]["amount_units"])
    sink = TransferSink(db_pool, apply_invoices)
    paid = _pay(invoice, units)
    await sink.emit(Facts("bsc", seen=[paid], final=[paid.tx_hash]))
    one = replace(_pay(invoice, units // 3), block_number=5, block_hash="0xb5")
    copies = [replace(one, log_index=i) for i in (1, 2)]
    await sink.emit(Facts("bsc", seen=copies))
    assert (await _event_types(db_pool, invoice["id"])).count(AFTER) == 2
    await sink.emit(Facts("bsc", removed=[one.tx_hash]))
    await sink.emit(Facts("bsc", seen=[replace(c, log_index=c.log_index + 4, block_number=6,
                                               block_hash="0xb6") for c in copies]))
    assert (await _event_types(db_pool, invoice["id"])).count(AFTER) == 2
