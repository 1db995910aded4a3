"""The late-notice ring never brings back a transfer of a block the stored chain no longer
holds: recorded, it would be live beside the same transaction mined again in another block,
below any later fork point, and turn final (the chaos run's "one transaction at two log
indexes"). In-memory scanner and sink: this is about the watcher's check, not the parsers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import cast

from gateway.chains.bsc.evm import NativeTransfer
from gateway.chains.bsc.scan import BlockInfo, BscScanner, Seen
from gateway.chains.bsc.watcher import BscConfig, BscWatcher
from gateway.chains.facts import Cursor, Facts, FactSink
from gateway.chains.models import BlockRef, DetectedTransfer

ADDRESS = "0x" + "11" * 20
T0 = datetime.fromtimestamp(0, UTC)


class Watched:
    def __init__(self) -> None:
        self.addresses: dict[str, str] = {}

    def track_new_keys(self) -> None: ...

    def take_new_keys(self) -> dict[str, str]:
        return {ADDRESS: "inv_late"}


class Scanner:
    def __init__(self) -> None:
        self.watched = Watched()

    async def payments(self, seen: Iterable[Seen], invoices: Mapping[str, str]
                       ) -> list[DetectedTransfer]:
        return [DetectedTransfer("bsc", s.transfer.tx_hash, -1, s.block.number, s.block.hash,
                                 T0, "BNB", None, None, s.key, 1, invoices[s.key])
                for s in seen]


class Sink:
    def __init__(self, stored: dict[int, str]) -> None:
        self.stored = stored
        self.seen: list[DetectedTransfer] = []

    async def emit(self, facts: Facts) -> set[str]:
        self.seen += facts.seen
        return {t.invoice_id for t in facts.seen if t.invoice_id}

    async def block_hashes(self, cursor: str, lo: int, hi: int) -> dict[int, str]:
        return {n: h for n, h in self.stored.items() if lo <= n <= hi}


def _seen(number: int, block_hash: str, tx: str) -> tuple[str, Seen]:
    return ADDRESS, Seen(BlockInfo(number, block_hash, T0), NativeTransfer(tx, "0x", ADDRESS, 1))


async def test_the_ring_records_only_transfers_of_the_stored_blocks() -> None:
    sink = Sink({5: "0x5a", 6: "0x6b"})
    config = BscConfig(rpc_url="", tokens={})
    watcher = BscWatcher(config, cast(FactSink, sink), cast(BscScanner, Scanner()))
    watcher._warmed = True
    watcher.recent.remember(5, [_seen(5, "0x5a", "0xt1")])
    watcher.recent.remember(6, [_seen(6, "0x6a", "0xt2")])  # block 6 of a replaced fork
    await watcher._late(Cursor("bsc", BlockRef(6, "0x6b"), -1, None))
    assert [(t.tx_hash, t.block_number) for t in sink.seen] == [("0xt1", 5)]
    assert watcher.recent.blocks == 0 and not watcher._warmed  # refilled from the node next
