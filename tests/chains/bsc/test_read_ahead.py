"""Catching up, the BNB Chain watcher reads the next range while it commits the current one;
ranges still commit in order, each chained to the cursor, and a read chained to a block
that is no longer the cursor, or overtaken by a reorg, is thrown away (in-memory node and
sink: this is about the watcher's ordering, not the parsers; the store's own check that a
range continues the cursor is in tests/transfers/test_sink.py)."""

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


class Watched:
    def __init__(self) -> None:
        self.addresses: dict[str, str] = {}

    def track_new_keys(self) -> None: ...

    def take_new_keys(self) -> dict[str, str]:
        return {}

    async def wait_current(self) -> None: ...


class Node:
    """A chain of HEAD blocks; records every read and which are in flight. `reorg` replaces
    the blocks from a height up with another fork (and may set the head back)."""

    def __init__(self) -> None:
        self.watched = Watched()
        self.reads: list[tuple[int, int]] = []
        self.in_flight: set[int] = set()
        self.top = HEAD
        self.forks: list[tuple[int, str]] = []  # (first block, fork letter), in order

    def reorg(self, first: int, fork: str, head: int = HEAD) -> None:
        self.forks.append((first, fork))
        self.top = head

    def hash(self, number: int) -> str:
        fork = "a"
        for first, letter in self.forks:
            if number >= first:
                fork = letter
        return _hash(number, fork)

    def block(self, number: int) -> EvmBlock:
        return EvmBlock(number, self.hash(number), self.hash(number - 1),
                        datetime.fromtimestamp(0, UTC), ())

    async def head(self) -> int:
        return self.top

    async def block_ref(self, tag: int | str) -> BlockRef | None:
        if isinstance(tag, str) or tag > self.top:
            return None
        return BlockRef(tag, self.hash(tag))

    async def read(self, lo: int, hi: int, parent: BlockRef | None) -> Scan:
        self.reads.append((lo, hi))
        self.in_flight.add(lo)
        try:
            await asyncio.sleep(0.01)
            blocks = tuple(self.block(n) for n in range(lo, min(hi, self.top) + 1))
            if blocks and parent is not None and blocks[0].parent_hash != parent.hash:
                return Scan((), (), fork=True)
            return Scan(blocks, ())
        finally:
            self.in_flight.discard(lo)

    async def match(self, scan: Scan) -> Scan:
        return scan

    async def canonical_hashes(self, lo: int, hi: int) -> dict[int, str]:
        return {n: self.hash(n) for n in range(lo, min(hi, self.top) + 1)}


class Sink:
    """Commits ranges only onto the cursor they name; records what was in flight then."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.at: BlockRef | None = None
        self.commits: list[tuple[int, int]] = []
        self.reading_meanwhile: list[bool] = []
        self.stored: dict[int, str] = {}  # block hashes committed, by height

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
            self.stored.update((link.number, link.hash) for link in facts.followed)
        if facts.rolled_back_to is not None:
            self.at = facts.rolled_back_to
            self.stored = {n: h for n, h in self.stored.items() if n <= self.at.number}
        return set()

    async def lowest_block(self, cursor: str) -> int | None:
        return min(self.stored, default=None)

    async def block_hashes(self, cursor: str, lo: int, hi: int) -> dict[int, str]:
        return {n: h for n, h in self.stored.items() if lo <= n <= hi}


def _watcher(node: Node, sink: Sink) -> BscWatcher:
    config = BscConfig(rpc_url="", tokens={}, start_block=1, span=4, confirmations=2,
                       read_ahead=True)
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


def _on_the_node(node: Node, sink: Sink) -> bool:
    return all(node.hash(n) == h for n, h in sink.stored.items())


async def _read_ahead_done(watcher: BscWatcher) -> None:
    ahead: Any = watcher._ahead
    await ahead.task


async def test_a_read_ahead_overtaken_by_a_reorg_is_read_again() -> None:
    """Read 5..8 ahead, then blocks 6.. are replaced (5 stays): the read still continues the
    cursor (block 4) by its hashes, but the node no longer has it; stored, blocks 6..8 of a
    fork would sit under the cursor (and their transfers beside the same transactions mined
    again). The step checks the read's last block against the node and reads again."""
    node = Node()
    sink = Sink(node)
    watcher = _watcher(node, sink)
    await watcher.step()
    await _read_ahead_done(watcher)
    node.reorg(6, "b")
    await watcher.step()
    assert sink.commits[1] == (5, 8)
    assert node.reads[:3] == [(1, 4), (5, 8), (5, 8)]
    assert _on_the_node(node, sink)
    await _catch_up(watcher)
    assert _on_the_node(node, sink) and sink.at == BlockRef(HEAD, node.hash(HEAD))


async def test_a_read_ahead_lives_one_step_only() -> None:
    """The node goes back to block 4 (a revert) for a step, then mines another fork: the
    read of 5..8 made before is not kept for when the head passes 4 again."""
    node = Node()
    sink = Sink(node)
    watcher = _watcher(node, sink)
    await watcher.step()
    await _read_ahead_done(watcher)
    node.reorg(5, "b", head=4)
    assert not await watcher.step()  # nothing to read: the read ahead goes
    ahead: Any = watcher._ahead
    assert ahead is None
    node.top = HEAD
    await watcher.step()
    assert sink.commits[1] == (5, 8) and node.reads[2] == (5, 8)
    assert _on_the_node(node, sink)
    await _catch_up(watcher)
    assert _on_the_node(node, sink)


async def test_a_read_ahead_started_before_a_reorg_is_not_used_after_it() -> None:
    """A reorg handled between the read and its use: thrown away even if the cursor came
    back to its parent."""
    node = Node()
    sink = Sink(node)
    watcher = _watcher(node, sink)
    await watcher.step()
    await _read_ahead_done(watcher)
    watcher.stats.reorgs += 1  # as _reorg does
    await watcher.step()
    assert node.reads[:3] == [(1, 4), (5, 8), (5, 8)]
