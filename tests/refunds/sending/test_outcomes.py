"""The sender's reports on a refund row (no chain): status moves, books and events in one
transaction each, replays that change nothing, and the moves the states forbid."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from gateway.refunds.errors import IllegalRefundTransition, RefundError
from gateway.refunds.sending import outcomes
from settlement import ledger
from tests.refunds.sending.support import insert_refund

UNITS = 5_000_000_000_000_000_000  # 5 USDT (18 decimals) stranded


async def _balance(conn: asyncpg.Connection, code: str) -> int:
    try:
        return (await ledger.balance(conn, code)).amount
    except ledger.UnknownAccount:
        return 0


async def _events(conn: asyncpg.Connection, refund_id: str) -> list[str]:
    rows = await conn.fetch("SELECT type FROM events WHERE data->>'id' = $1 ORDER BY created_at",
                            refund_id)
    return [r["type"] for r in rows]


async def test_a_reverted_refund_reverses_in_transit_and_books_its_fee(
        conn: asyncpg.Connection, make_merchant: Callable[..., Awaitable[str]]) -> None:
    refund_id = await insert_refund(conn, await make_merchant(), asset="USDT_BSC",
                                    address="0x" + "ab" * 20, stranded_units=UNITS)
    codes = ["custody:bsc:USDT", "refunds_in_transit:bsc:USDT", "custody:bsc:BNB",
             "network_fees:bsc:BNB"]
    before = {c: await _balance(conn, c) for c in codes}
    async with conn.transaction():
        signed = await outcomes.on_signed(conn, refund_id=refund_id, tx_hash="0x" + "11" * 32)
    assert signed.status == "sending" and signed.tx == "0x" + "11" * 32
    assert await _balance(conn, "refunds_in_transit:bsc:USDT") - before[codes[1]] == UNITS
    async with conn.transaction():  # a replay after a crash: no second booking
        await outcomes.on_signed(conn, refund_id=refund_id, tx_hash="0x" + "11" * 32)
    with pytest.raises(RefundError):
        await outcomes.on_signed(conn, refund_id=refund_id, tx_hash="0x" + "22" * 32)
    with pytest.raises(IllegalRefundTransition):
        await outcomes.on_final(conn, refund_id=refund_id, fee_units=1)  # not sent yet
    sent = await outcomes.on_broadcast(conn, refund_id=refund_id)
    assert sent.status == "sent" and (await outcomes.on_broadcast(conn, refund_id=refund_id))
    async with conn.transaction():
        failed = await outcomes.on_failed(conn, refund_id=refund_id, reason="reverted",
                                          fee_units=42_000_000_000_000)
    assert failed.status == "failed" and failed.failure_reason == "reverted"
    assert {c: await _balance(conn, c) - before[c] for c in codes} == {
        "custody:bsc:USDT": 0, "refunds_in_transit:bsc:USDT": 0,
        "custody:bsc:BNB": -42_000_000_000_000, "network_fees:bsc:BNB": 42_000_000_000_000}
    assert await _events(conn, refund_id) == ["refund.failed"]
    assert refund_id not in [r.id for r in await outcomes.refunds_to_send(conn, limit=1000)]


async def test_a_test_mode_refund_is_never_booked(
        conn: asyncpg.Connection, make_merchant: Callable[..., Awaitable[str]]) -> None:
    refund_id = await insert_refund(conn, await make_merchant(), asset="SOL",
                                    address="1" * 32, stranded_units=10**9, livemode=False)
    await outcomes.on_signed(conn, refund_id=refund_id, tx_hash="sig")
    await outcomes.on_broadcast(conn, refund_id=refund_id)
    done = await outcomes.on_final(conn, refund_id=refund_id, fee_units=5_000)
    assert done.status == "succeeded" and done.network_fee_units == 5_000
    assert await conn.fetchval("SELECT count(*) FROM journal_entries WHERE reference = $1",
                               refund_id) == 0
    assert await _events(conn, refund_id) == ["refund.succeeded"]
