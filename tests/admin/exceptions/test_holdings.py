"""Holdings per address, to the base unit: every transfer on an address is booked, pending,
stranded or unmatched (and a vanished booked one is not expected on chain), so the chain's
balance is explained line by line."""

from __future__ import annotations

import asyncpg

from gateway.admin.settlement import queries
from gateway.chains.facts import Facts
from gateway.lifecycle.service import apply_invoices
from gateway.status import service as status
from gateway.transfers.sink import TransferSink
from settlement.reconciliation.service import Holding, Observation, holding_lines
from tests.admin.exceptions.test_queue import _expire, _invoice, _pay
from tests.plugins.app import ApiClient


async def _holding(pool: asyncpg.Pool, address: str) -> dict[str, int]:
    async with pool.acquire() as conn:
        rows = await queries.holdings(conn, "bsc", 2**62, False)
    [row] = [r for r in rows if r["address"] == address.lower() and r["asset"] == "BNB"]
    return {k: int(row[k]) for k in ("booked", "pending", "stranded", "unmatched", "vanished")}


async def test_each_transfer_explains_its_address_once(client: ApiClient,
                                                       db_pool: asyncpg.Pool) -> None:
    sink = TransferSink(db_pool, apply_invoices)
    partial = await _invoice(client, amount=100_000)
    settled = await _invoice(client, amount=50_000)
    open_ = await _invoice(client, amount=100_000)
    part_units = int(partial["payment_options"][0]["amount_units"]) // 4
    full_units = int(settled["payment_options"][0]["amount_units"])
    open_units = int(open_["payment_options"][0]["amount_units"]) // 3

    part = _pay(partial, part_units)
    await sink.emit(Facts("bsc", seen=[part], final=[part.tx_hash]))
    await _expire(db_pool, partial["id"])
    full, extra = _pay(settled, full_units), _pay(settled, 7)  # then 7 wei after settlement
    await sink.emit(Facts("bsc", seen=[full], final=[full.tx_hash]))
    await sink.emit(Facts("bsc", seen=[extra], final=[extra.tx_hash]))
    some = _pay(open_, open_units)
    await sink.emit(Facts("bsc", seen=[some], final=[some.tx_hash]))

    assert await _holding(db_pool, part.to_address) == {
        "booked": 0, "pending": 0, "stranded": part_units, "unmatched": 0, "vanished": 0}
    assert await _holding(db_pool, full.to_address) == {
        "booked": full_units, "pending": 0, "stranded": 0, "unmatched": 7, "vanished": 0}
    assert await _holding(db_pool, some.to_address) == {
        "booked": 0, "pending": open_units, "stranded": 0, "unmatched": 0, "vanished": 0}

    booked_id = await db_pool.fetchval("SELECT id FROM chain_transfers WHERE tx_hash = $1",
                                       full.tx_hash)
    async with db_pool.acquire() as conn:
        await status.resynced(conn, "bsc", 1, [booked_id])
    vanished = await _holding(db_pool, full.to_address)
    assert (vanished["booked"], vanished["vanished"]) == (full_units, full_units)
    holding = Holding("bsc", "bsc:BNB", full.to_address.lower(), **vanished)
    assert holding.expected == 7  # only the after-settlement 7 wei is still expected there
    [line] = holding_lines([holding], [Observation("bsc", "bsc:BNB", holding.address, 7)])
    assert line.difference == 0 and line.as_json()["expected"] == "7"


def test_empty_holdings_without_a_balance_are_left_out() -> None:
    empty = Holding("bsc", "bsc:BNB", "0xabc")
    on_chain = Holding("bsc", "bsc:BNB", "0xdef")
    lines = holding_lines([empty, on_chain], [Observation("bsc", "bsc:BNB", "0xdef", 5),
                                              Observation("bsc", "bsc:BNB", "0xabc", 0)])
    assert [(ln.holding.address, ln.chain_units, ln.difference) for ln in lines] == [
        ("0xdef", 5, 5)]
