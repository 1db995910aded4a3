"""Reading BNB Chain: block ranges with their native, internal and BEP-20 payments (no
database writes).

A range lo..hi costs one batched request for the blocks (full transactions), one for their
receipts (`eth_getBlockReceipts` per block; per-transaction receipts when the node lacks it),
one eth_getLogs for the configured token contracts' Transfer logs, and, with tracing on, one
for the blocks' call traces (`debug_traceBlockByNumber`, native BNB moved by contracts). The
range is never returned incomplete: every transaction must have its receipt and the Transfer
logs must be those of the receipts (gateway.chains.bsc.receipts), else `IncompleteBlock`
and the watcher retries. The same code follows the head (ranges of a block or two) and
catches up after downtime (ranges of `span` blocks): the eth_getLogs span halves when the node
refuses it and grows back after successes.

Matching: a transfer's recipient is looked up in the open invoices' addresses (a dict), then
in the compact set of every address ever issued (gateway.chains.issued); the rare hit there
(a payment to a settled, expired or cancelled invoice's address) costs one indexed query for
its invoice. So every issued address stays matched at a cost that follows chain traffic.

Every successful transfer of a range, watched or not, is also returned raw (`Scan.seen`, one
`Seen` per native value transfer, internal transfer and token Transfer log) for the watcher's
ring of recent blocks (gateway.chains.recent): a deposit address that enters the watched set
a moment after its block was scanned is matched there. Raw means cheap: no checksumming, no
`DetectedTransfer` until a key matches (`detected`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import pairwise

from eth_utils.address import to_checksum_address

from gateway.chains.bsc.evm import (
    TRANSFER_TOPIC,
    EvmBlock,
    NativeTransfer,
    TokenTransfer,
    check_logs_match,
    native_transfers,
    parse_block,
    quantity,
    token_transfers,
)
from gateway.chains.bsc.receipts import BlockReceipts, check_logs_agree, check_receipts, regroup
from gateway.chains.bsc.trace import TRACER, internal_transfers
from gateway.chains.errors import MalformedResponse, NodeError, RangeRefused
from gateway.chains.models import BlockRef, DetectedTransfer
from gateway.chains.rpc import RpcClient
from gateway.chains.watched import WatchedSet
from gateway.errors import RpcTimeout
from gateway.log import get_logger

log = get_logger(__name__)
CHAIN = "bsc"
NATIVE_ASSET = "BNB"
METHOD_NOT_FOUND = -32601  # JSON-RPC: the node does not serve this method


@dataclass(frozen=True, slots=True)
class BlockInfo:
    number: int
    hash: str
    time: datetime


@dataclass(frozen=True, slots=True)
class Seen:
    """A transfer on chain to any address, as parsed (addresses lower case)."""

    block: BlockInfo
    transfer: TokenTransfer | NativeTransfer

    @property
    def key(self) -> str:
        """The watched-set key it matches on: the recipient address."""
        return self.transfer.to_address


@dataclass(frozen=True, slots=True)
class Scan:
    """What lo..hi holds for us; `fork` when lo's parent is not our cursor block."""

    blocks: tuple[EvmBlock, ...]
    transfers: tuple[DetectedTransfer, ...]
    logs_seen: int = 0
    fork: bool = False
    seen: tuple[Seen, ...] = ()

    def seen_by_block(self) -> list[tuple[int, list[tuple[str, Seen]]]]:
        """(block number, [(key, seen)]) for every scanned block, in order (empty ones too)."""
        grouped: dict[int, list[tuple[str, Seen]]] = {b.number: [] for b in self.blocks}
        for item in self.seen:
            grouped.setdefault(item.block.number, []).append((item.key, item))
        return sorted(grouped.items())


class Span:
    """The eth_getLogs block span: halves on refusal, doubles back after a success."""

    def __init__(self, maximum: int) -> None:
        self.maximum = max(1, maximum)
        self.current = self.maximum

    def refused(self) -> None:
        self.current = max(1, self.current // 2)

    def succeeded(self) -> None:
        self.current = min(self.maximum, self.current * 2)


def method_unsupported(exc: NodeError) -> bool:
    """The node does not serve the method (geth, erigon and anvil word it differently; a
    missing block, "header not found", is not this)."""
    text = str(exc).lower()
    return exc.code == METHOD_NOT_FOUND or ("method" in text and any(
        words in text for words in ("not found", "does not exist", "not supported",
                                    "not available")))


class BscScanner:
    def __init__(self, rpc: RpcClient, tokens: Mapping[str, str], watched: WatchedSet, *,
                 trace_internal: bool = True) -> None:
        self.rpc = rpc
        self.tokens = {address.lower(): asset for address, asset in tokens.items()}
        self.watched = watched
        self.trace_internal = trace_internal
        self.block_receipts = True  # False once the node refused eth_getBlockReceipts

    async def head(self) -> int:
        return quantity(await self.rpc.call("eth_blockNumber"), "eth_blockNumber")

    async def block_ref(self, tag: int | str) -> BlockRef | None:
        """Number and hash of a block by number or tag (None: the node does not have it)."""
        raw = await self.rpc.call("eth_getBlockByNumber",
                                  [hex(tag) if isinstance(tag, int) else tag, False])
        if raw is None:
            return None
        if not isinstance(raw, dict) or not isinstance(raw.get("hash"), str):
            raise MalformedResponse(f"eth_getBlockByNumber({tag}) answered {raw!r:.120}")
        return BlockRef(quantity(raw.get("number"), "block number"), raw["hash"].lower())

    async def canonical_hashes(self, lo: int, hi: int) -> dict[int, str]:
        answers = await self.rpc.batch(
            [("eth_getBlockByNumber", [hex(n), False]) for n in range(lo, hi + 1)])
        return {n: str(a["hash"]).lower() for n, a in zip(range(lo, hi + 1), answers,
                                                           strict=True) if isinstance(a, dict)}

    async def blocks(self, lo: int, hi: int) -> list[EvmBlock]:
        """Blocks lo..hi with full transactions, stopping at the first the node lacks."""
        answers = await self.rpc.batch(
            [("eth_getBlockByNumber", [hex(n), True]) for n in range(lo, hi + 1)])
        found = []
        for raw in answers:
            if raw is None:
                break
            found.append(parse_block(raw))
        return found

    async def logs(self, lo: int, hi: int) -> list[object]:
        """Raw Transfer logs of the token contracts in lo..hi (RangeRefused: ask smaller)."""
        if not self.tokens:
            return []
        query = {"fromBlock": hex(lo), "toBlock": hex(hi), "address": list(self.tokens),
                 "topics": [TRANSFER_TOPIC]}
        try:
            logs = await self.rpc.call("eth_getLogs", [query])
        except (NodeError, RpcTimeout) as exc:
            if hi > lo:
                raise RangeRefused(f"eth_getLogs {lo}..{hi} refused: {exc}") from exc
            raise
        if not isinstance(logs, list):
            raise MalformedResponse(f"eth_getLogs answered {type(logs).__name__}, not a list")
        return logs

    async def _receipts_per_block(self, blocks: list[EvmBlock]) -> list[object] | None:
        """eth_getBlockReceipts answers of `blocks`; None when the node lacks the method."""
        try:
            return await self.rpc.batch(
                [("eth_getBlockReceipts", [hex(b.number)]) for b in blocks])
        except NodeError as exc:
            if not method_unsupported(exc):
                raise
            log.warning("bsc_block_receipts_unsupported", chain=CHAIN, error=str(exc))
            self.block_receipts = False
            return None

    async def receipts(self, blocks: list[EvmBlock]) -> list[BlockReceipts]:
        """The verified receipts of every block holding transactions (IncompleteBlock when the
        node's answers are missing or disagree)."""
        busy = [b for b in blocks if b.transactions]
        if not busy:
            return []
        answers = await self._receipts_per_block(busy) if self.block_receipts else None
        if answers is None:
            per_tx = await self.rpc.batch([("eth_getTransactionReceipt", [tx.get("hash")])
                                           for b in busy for tx in b.transactions])
            answers = list(regroup(busy, per_tx))
        return [check_receipts(b, a, self.tokens) for b, a in zip(busy, answers, strict=True)]

    async def traces(self, blocks: list[EvmBlock]) -> list[object]:
        """Call traces of the blocks holding transactions (none with tracing off)."""
        busy = [b for b in blocks if b.transactions]
        if not self.trace_internal or not busy:
            return []
        try:
            return await self.rpc.batch(
                [("debug_traceBlockByNumber", [hex(b.number), TRACER]) for b in busy])
        except NodeError as exc:
            if method_unsupported(exc):
                # Never skip tracing silently (BNB forwarded by contracts would go unseen):
                # the watcher retries, and says loudly what the operator must decide.
                log.error("bsc_trace_unsupported", chain=CHAIN, error=str(exc),
                          hint="serve the debug namespace, or set BSC_TRACE_INTERNAL=false")
            raise

    @staticmethod
    def _seen_internal(blocks: list[EvmBlock], receipts: list[BlockReceipts],
                       traces: list[object]) -> list[Seen]:
        """Native BNB moved by contract calls in `blocks` (from `traces`, when traced)."""
        if not traces:
            return []
        busy = [b for b in blocks if b.transactions]
        succeeded = {r.number: r.succeeded for r in receipts}
        found = []
        for block, answer in zip(busy, traces, strict=True):
            info = BlockInfo(block.number, block.hash, block.timestamp)
            found += [Seen(info, t) for t in
                      internal_transfers(block, answer, succeeded[block.number])]
        return found

    async def _block_answers(self, blocks: list[EvmBlock]
                             ) -> tuple[list[BlockReceipts], list[object], list[object]]:
        """Receipts, Transfer logs and traces of `blocks`, requested together so the node
        prepares one while we parse another; the first failure raises (in that order)."""
        answers = await asyncio.gather(self.receipts(blocks),
                                       self.logs(blocks[0].number, blocks[-1].number),
                                       self.traces(blocks), return_exceptions=True)
        receipts, logs, traces = answers
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
        assert not isinstance(receipts, BaseException)
        assert not isinstance(logs, BaseException)
        assert not isinstance(traces, BaseException)
        return receipts, logs, traces

    def _seen_tokens(self, raw_logs: list[object], blocks: Mapping[int, BlockInfo]
                     ) -> list[Seen]:
        logs = token_transfers(raw_logs, None, self.tokens)
        check_logs_match(logs, {n: b.hash for n, b in blocks.items()})
        return [Seen(blocks[t.block_number], t) for t in logs if t.block_number in blocks]

    @staticmethod
    def _seen_native(blocks: list[EvmBlock], receipts: list[BlockReceipts]) -> list[Seen]:
        """Native transfers of successful transactions (a failed one keeps its value field)."""
        succeeded = {r.number: r.succeeded for r in receipts}
        found = []
        for b in blocks:
            info = BlockInfo(b.number, b.hash, b.timestamp)
            ok = succeeded.get(b.number, frozenset())
            found += [Seen(info, t) for t in native_transfers(b) if t.tx_hash in ok]
        return found

    def detected(self, seen: Seen, invoice_id: str | None) -> DetectedTransfer:
        """The stored form of a seen transfer, for `invoice_id`."""
        t, block = seen.transfer, seen.block
        if isinstance(t, NativeTransfer):
            log_index, asset, token, amount = t.index, NATIVE_ASSET, None, t.value
        else:
            log_index, asset, amount = t.log_index, self.tokens[t.token], t.amount
            token = to_checksum_address(t.token)
        return DetectedTransfer(
            chain=CHAIN, tx_hash=t.tx_hash, log_index=log_index, block_number=block.number,
            block_hash=block.hash, block_time=block.time, asset=asset, token=token,
            from_address=to_checksum_address(t.from_address) if t.from_address else None,
            to_address=to_checksum_address(t.to_address), amount=amount,
            invoice_id=invoice_id,
        )

    async def payments(self, seen: Iterable[Seen], invoices: Mapping[str, str], *,
                       issued: bool = False) -> list[DetectedTransfer]:
        """The seen transfers to `invoices`' addresses (lower case -> invoice id) and, with
        `issued`, to any other address ever issued (its invoice looked up)."""
        seen = list(seen)
        matched = [(s, invoices[s.key]) for s in seen if s.key in invoices]
        if issued:
            every = self.watched.issued
            others = {s.key for s in seen if s.key not in invoices and s.key in every}
            if others:
                found = await self.watched.invoices_for_addresses(others)
                matched += [(s, found[s.key]) for s in seen if s.key in found]
        return [self.detected(s, invoice_id) for s, invoice_id in matched]

    async def scan(self, lo: int, hi: int, parent: BlockRef | None) -> Scan:
        """Payments to watched addresses in lo..hi, whose parent must be `parent` (None: a
        re-read of blocks already followed, checked by the caller)."""
        return await self.match(await self.read(lo, hi, parent))

    async def match(self, scan: Scan) -> Scan:
        """`scan` with its payments to the addresses watched now (a read done earlier is
        matched against the set as it is at this moment)."""
        transfers = await self.payments(scan.seen, self.watched.addresses, issued=True)
        return replace(scan, transfers=tuple(transfers))

    async def read(self, lo: int, hi: int, parent: BlockRef | None) -> Scan:
        """Blocks lo..hi read, checked complete and parsed, not yet matched (no transfers)."""
        blocks = await self.blocks(lo, hi)
        if not blocks:
            return Scan((), ())
        if parent is not None and blocks[0].parent_hash != parent.hash:
            return Scan((), (), fork=True)
        for prev, block in pairwise(blocks):
            if block.parent_hash != prev.hash:
                raise MalformedResponse(f"block {block.number} does not follow {prev.number}: "
                                        "the chain moved between reads")
        receipts, raw_logs, traces = await self._block_answers(blocks)
        check_logs_agree(raw_logs, receipts)
        infos = {b.number: BlockInfo(b.number, b.hash, b.timestamp) for b in blocks}
        seen = (self._seen_tokens(raw_logs, infos) + self._seen_native(blocks, receipts)
                + self._seen_internal(blocks, receipts, traces))
        return Scan(tuple(blocks), (), logs_seen=len(raw_logs), seen=tuple(seen))
