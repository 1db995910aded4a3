"""Catching up, the BNB Chain watcher reads the next range while it commits the current one;
ranges still commit in order, each chained to the cursor, and a read chained to a block
that is no longer the cursor is thrown away (in-memory node and sink: this is about the
watcher's ordering, not the parsers)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, cast

from gateway.chains.bsc.evm import EvmBlock
from gateway.chains.bsc.scan import BscScanner, Scan
from gateway.chains.bsc.watcher import BscConfig, BscWatcher
from gateway.chains.errors import StaleCursor
from gateway.chains.facts import Cursor, Facts, FactSink
from gateway.chains.models import BlockRef

HEAD = 20


def _hash(number: int, fork: str = "a") -> str:
    return "0x" + fork * 2 + format(number, "062x")


def _block(number: int) -> EvmBlock:
    return EvmBlock(number, _hash(number), _hash(number - 1), datetime.fromtimestamp(0, UTC),
                    ())


class Watched:
    def __init__(self) -> None:
        self.addresses: dict[str, str] = {}

    def track_new_keys(self) -> None: ...

    def take_new_keys(self) -> dict[str, str]:
        return {}

    async def wait_current(self) -> None: ...


class Node:
    """A chain of HEAD blocks; records every read and which are in flight."""

    def __init__(self) -> None:
        self.watched = Watched()
        self.reads: list[tuple[int, int]] = []
        self.in_flight: set[int] = set()

    async def head(self) -> int:
        return HEAD

    async def block_ref(self, tag: int | str) -> BlockRef | None:
        return None if isinstance(tag, str) else BlockRef(tag, _hash(tag))

    async def read(self, lo: int, hi: int, parent: BlockRef | None) -> Scan:
        self.reads.append((lo, hi))
        self.in_flight.add(lo)
        try:
            await asyncio.sleep(0.01)
            return Scan(tuple(_block(n) for n in range(lo, hi + 1)), ())
        finally:
            self.in_flight.discard(lo)

    async def match(self, scan: Scan) -> Scan:
        return scan


class Sink:
    """Commits ranges only onto the cursor they name; records what was in flight then."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.at: BlockRef | None = None
        self.commits: list[tuple[int, int]] = []
        self.reading_meanwhile: list[bool] = []

    async def cursor(self, name: str) -> Cursor | None:
        return None if self.at is None else Cursor("bsc", self.at, -1, None)

    async def emit(self, facts: Facts) -> set[str]:
        if facts.followed:
            if facts.expected != self.at:
                raise StaleCursor("the cursor moved")
            await asyncio.sleep(0.01)
            first, last = facts.followed[0], facts.followed[-1]
            if facts.expected is not None:
                self.commits.append((first.number, last.number))
                self.reading_meanwhile.append(last.number + 1 in self.node.in_flight)
            self.at = BlockRef(last.number, last.hash)
        return set()

    async def block_hashes(self, cursor: str, lo: int, hi: int) -> dict[int, str]:
        return {}


def _watcher(node: Node, sink: Sink) -> BscWatcher:
    config = BscConfig(rpc_url="", tokens={}, start_block=1, span=4, confirmations=2)
    return BscWatcher(config, cast(FactSink, sink), cast(BscScanner, node))


async def _catch_up(watcher: BscWatcher) -> None:
    while await watcher.step():
        pass


async def test_the_next_range_is_read_while_this_one_commits_in_order() -> None:
    node = Node()
    sink = Sink(node)
    await _catch_up(_watcher(node, sink))
    assert sink.commits == [(1, 4), (5, 8), (9, 12), (13, 16), (17, 20)]
    assert node.reads == sink.commits  # every range read once: each read ahead was used
    assert sink.reading_meanwhile == [True, True, True, True, False]


async def test_a_read_ahead_of_a_cursor_that_moved_is_thrown_away() -> None:
    node = Node()
    sink = Sink(node)
    watcher = _watcher(node, sink)
    await watcher.step()  # committed 1..4, reading 5..8 ahead
    sink.at = BlockRef(2, _hash(2))  # e.g. a rollback: the cursor is no longer block 4
    await _catch_up(watcher)
    assert sink.commits[1] == (3, 6)
    assert node.reads[:3] == [(1, 4), (5, 8), (3, 6)]
    ahead: Any = watcher._ahead  # nothing is left reading after the last range
    assert ahead is None
