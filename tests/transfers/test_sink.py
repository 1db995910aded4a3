"""The one fact sink (gateway.transfers.sink): a batch of facts is stored with the cursor and
handed to the lifecycle in one transaction, or not at all."""

from __future__ import annotations

import secrets

import asyncpg
import pytest

from gateway.chains.errors import MalformedFacts, StaleCursor
from gateway.chains.facts import BlockLink, Facts
from gateway.chains.models import BlockRef, DetectedTransfer
from gateway.transfers.sink import TransferSink
from settlement.db import Conn

CHAIN = "testchain"


def _transfer(tx_hash: str, block: int) -> DetectedTransfer:
    return DetectedTransfer(CHAIN, tx_hash, 0, block, f"h{block}", None, "SOL", None, "payer",
                            "treasury", 1_000, None)


class Applied:
    """Stands in for the lifecycle: records what each batch handed over."""

    def __init__(self) -> None:
        self.calls: list[set[str]] = []

    async def __call__(self, conn: Conn, invoice_ids: set[str]) -> None:
        assert conn.is_in_transaction()
        self.calls.append(set(invoice_ids))


async def _statuses(pool: asyncpg.Pool, hashes: list[str]) -> dict[str, str]:
    rows = await pool.fetch("SELECT tx_hash, status FROM chain_transfers "
                            "WHERE chain = $1 AND tx_hash = ANY($2::text[])", CHAIN, hashes)
    return {r["tx_hash"]: r["status"] for r in rows}


async def test_a_batch_moves_the_cursor_with_its_facts(db_pool: asyncpg.Pool) -> None:
    applied = Applied()
    sink = TransferSink(db_pool, applied)
    cursor = f"{CHAIN}-{secrets.token_hex(4)}"
    tx = [f"tx{secrets.token_hex(8)}" for _ in range(2)]
    await sink.emit(Facts(CHAIN, cursor=cursor, expected=None,
                          followed=[BlockLink(10, "h10", "h9")]))
    await sink.emit(Facts(CHAIN, cursor=cursor, expected=BlockRef(10, "h10"),
                          seen=[_transfer(tx[0], 11), _transfer(tx[1], 12)],
                          followed=[BlockLink(11, "h11", "h10"), BlockLink(12, "h12", "h11")]))
    stored = await sink.cursor(cursor)
    assert stored is not None and stored.block == BlockRef(12, "h12")
    assert await sink.block_hashes(cursor, 11, 12) == {11: "h11", 12: "h12"}
    assert await _statuses(db_pool, tx) == {tx[0]: "detected", tx[1]: "detected"}
    await sink.emit(Facts(CHAIN, final=[tx[0]], removed=[tx[1]]))
    assert await _statuses(db_pool, tx) == {tx[0]: "finalized", tx[1]: "removed"}
    assert len(applied.calls) == 3  # the lifecycle saw every batch, in its transaction
    await db_pool.execute("DELETE FROM chain_transfers WHERE tx_hash = ANY($1::text[])", tx)


async def test_a_batch_from_a_moved_cursor_stores_nothing(db_pool: asyncpg.Pool) -> None:
    applied = Applied()
    sink = TransferSink(db_pool, applied)
    cursor = f"{CHAIN}-{secrets.token_hex(4)}"
    tx = f"tx{secrets.token_hex(8)}"
    await sink.emit(Facts(CHAIN, cursor=cursor, expected=None, moved_to=BlockRef(5, "sig5")))
    with pytest.raises(StaleCursor):
        await sink.emit(Facts(CHAIN, cursor=cursor, expected=BlockRef(4, "sig4"),
                              seen=[_transfer(tx, 6)], moved_to=BlockRef(6, "sig6")))
    assert await _statuses(db_pool, [tx]) == {}
    stored = await sink.cursor(cursor)
    assert stored is not None and (stored.block, stored.position) == (BlockRef(5, "sig5"), "sig5")
    assert len(applied.calls) == 1


async def test_a_range_that_does_not_continue_the_cursor_stores_nothing(
        db_pool: asyncpg.Pool) -> None:
    """A range read before a reorg names its parent: committed after it, onto a cursor that is
    no longer that parent, it is refused in the cursor's transaction (the read-ahead's
    double booking: a transaction live in two blocks)."""
    sink = TransferSink(db_pool, Applied())
    cursor = f"{CHAIN}-{secrets.token_hex(4)}"
    tx = f"tx{secrets.token_hex(8)}"
    await sink.emit(Facts(CHAIN, cursor=cursor, expected=None,
                          followed=[BlockLink(10, "h10", "h9")]))
    for links in ([BlockLink(11, "h11", "old10")],  # parent is another block 10
                  [BlockLink(12, "h12", "h10")],  # a gap
                  [BlockLink(11, "h11", "h10"), BlockLink(12, "h12", "old11")]):
        with pytest.raises(StaleCursor):
            await sink.emit(Facts(CHAIN, cursor=cursor, expected=BlockRef(10, "h10"),
                                  seen=[_transfer(tx, links[-1].number)], followed=links))
    assert await _statuses(db_pool, [tx]) == {}
    stored = await sink.cursor(cursor)
    assert stored is not None and stored.block == BlockRef(10, "h10")


async def test_block_facts_without_their_cursor_are_refused(db_pool: asyncpg.Pool) -> None:
    sink = TransferSink(db_pool, Applied())
    with pytest.raises(MalformedFacts):
        await sink.emit(Facts(CHAIN, final_through=10))
