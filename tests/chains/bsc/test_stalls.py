"""Wherever the BNB Chain watcher can go round without progress, it says so at warning level
(a chaos run once stalled without a line): the node's head below our cursor on the same chain,
a head above a block the node does not serve, a watched set that does not become current.
In-memory node and sink: this is about the watcher's words, not the parsers."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any, cast

from gateway.chains.bsc.evm import EvmBlock
from gateway.chains.bsc.scan import BscScanner, Scan
from gateway.chains.bsc.watcher import BscConfig, BscWatcher
from gateway.chains.facts import Cursor, Facts, FactSink
from gateway.chains.models import BlockRef
from tests.plugins.logs import capture_all_logs


def _hash(number: int) -> str:
    return "0x" + format(number, "064x")


class Watched:
    def __init__(self) -> None:
        self.addresses: dict[str, str] = {}
        self.ready = asyncio.Event()
        self.ready.set()

    def track_new_keys(self) -> None: ...

    def take_new_keys(self) -> dict[str, str]:
        return {}

    async def wait_current(self) -> None:
        await self.ready.wait()


class Node:
    """Blocks 0..`served`; names `top` as its head."""

    def __init__(self, top: int) -> None:
        self.watched = Watched()
        self.top = self.served = top

    async def head(self) -> int:
        return self.top

    async def block_ref(self, tag: int | str) -> BlockRef | None:
        number = self.served if isinstance(tag, str) else tag
        return BlockRef(number, _hash(number)) if number <= self.served else None

    async def read(self, lo: int, hi: int, parent: BlockRef | None) -> Scan:
        return Scan(tuple(EvmBlock(n, _hash(n), _hash(n - 1), datetime.fromtimestamp(0, UTC),
                                   ()) for n in range(lo, min(hi, self.served) + 1)), ())

    async def match(self, scan: Scan) -> Scan:
        return scan


class Sink:
    def __init__(self, at: int) -> None:
        self.at = BlockRef(at, _hash(at))

    async def cursor(self, name: str) -> Cursor | None:
        return Cursor("bsc", self.at, -1, None)

    async def emit(self, facts: Facts) -> set[str]:
        if facts.followed:
            self.at = BlockRef(facts.followed[-1].number, facts.followed[-1].hash)
        return set()

    async def block_hashes(self, cursor: str, lo: int, hi: int) -> dict[int, str]:
        return {n: _hash(n) for n in range(lo, min(hi, self.at.number) + 1)}


def _watcher(node: Node, sink: Sink, **config: Any) -> BscWatcher:
    watcher = BscWatcher(BscConfig(rpc_url="", tokens={}, **config), cast(FactSink, sink),
                         cast(BscScanner, node))
    watcher._warmed = True
    return watcher


def _events(logs: list[MutableMapping[str, Any]], level: str = "warning") -> list[str]:
    return [entry["event"] for entry in logs if entry["log_level"] == level]


async def test_a_node_behind_our_cursor_on_our_chain_is_said_once() -> None:
    node, sink = Node(top=10), Sink(at=12)  # e.g. a replica restarted from an older copy
    watcher = _watcher(node, sink)
    with capture_all_logs() as logs:
        for _ in range(3):
            assert not await watcher.step()
    assert _events(logs) == ["bsc_node_behind"]
    node.top = node.served = 14
    with capture_all_logs() as logs:
        await watcher.step()
    assert sink.at.number == 14 and _events(logs) == []
    assert "bsc_node_caught_up" in _events(logs, "info")


async def test_a_head_above_a_block_the_node_does_not_serve_is_said() -> None:
    node, sink = Node(top=10), Sink(at=10)
    node.top = 11  # names 11, serves up to 10
    with capture_all_logs() as logs:
        assert not await _watcher(node, sink).step()
    assert _events(logs) == ["bsc_block_missing"] and sink.at.number == 10


async def test_a_watched_set_that_does_not_become_current_is_said_while_waiting() -> None:
    node, sink = Node(top=12), Sink(at=10)
    node.watched.ready.clear()  # e.g. its LISTEN connection cannot be made
    watcher = _watcher(node, sink, stall_warning=0.05)
    with capture_all_logs() as logs:
        step = asyncio.ensure_future(watcher.step())
        await asyncio.sleep(0.2)
        assert not step.done() and set(_events(logs)) == {"bsc_watched_set_waiting"}
        node.watched.ready.set()
        await step
    assert sink.at.number == 12
