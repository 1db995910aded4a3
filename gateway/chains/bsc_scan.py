"""Reading BNB Chain: block ranges with their native and BEP-20 payments (no database).

A range lo..hi costs one batched request for the blocks (full transactions), one
eth_getLogs for the configured token contracts' Transfer logs, and receipts only for native
transfers to watched addresses (to skip failed transactions). The same code follows the head
(ranges of a block or two) and catches up after downtime (ranges of `span` blocks): the
eth_getLogs span halves when the node refuses it and grows back after successes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise

from eth_utils.address import to_checksum_address

from gateway.chains.errors import MalformedResponse, NodeError, RangeRefused
from gateway.chains.evm import (
    TRANSFER_TOPIC,
    EvmBlock,
    check_logs_match,
    native_transfers,
    parse_block,
    quantity,
    token_transfers,
)
from gateway.chains.models import NATIVE_LOG_INDEX, BlockRef, DetectedTransfer
from gateway.chains.rpc import RpcClient
from gateway.chains.watched import WatchedSet
from gateway.errors import RpcTimeout

CHAIN = "bsc"
NATIVE_ASSET = "BNB"
RECEIPT_OK = "0x1"


@dataclass(frozen=True, slots=True)
class Scan:
    """What lo..hi holds for us; `fork` when lo's parent is not our cursor block."""

    blocks: tuple[EvmBlock, ...]
    transfers: tuple[DetectedTransfer, ...]
    logs_seen: int = 0
    fork: bool = False


class Span:
    """The eth_getLogs block span: halves on refusal, doubles back after a success."""

    def __init__(self, maximum: int) -> None:
        self.maximum = max(1, maximum)
        self.current = self.maximum

    def refused(self) -> None:
        self.current = max(1, self.current // 2)

    def succeeded(self) -> None:
        self.current = min(self.maximum, self.current * 2)


class BscScanner:
    def __init__(self, rpc: RpcClient, tokens: Mapping[str, str], watched: WatchedSet) -> None:
        self.rpc = rpc
        self.tokens = {address.lower(): asset for address, asset in tokens.items()}
        self.watched = watched

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

    async def successful(self, tx_hashes: list[str]) -> set[str]:
        """Which of these transactions succeeded (receipt status 1)."""
        if not tx_hashes:
            return set()
        receipts = await self.rpc.batch(
            [("eth_getTransactionReceipt", [h]) for h in tx_hashes])
        return {h for h, r in zip(tx_hashes, receipts, strict=True)
                if isinstance(r, dict) and r.get("status") == RECEIPT_OK}

    def _token_payments(self, raw_logs: list[object], blocks: Mapping[int, EvmBlock]
                        ) -> list[DetectedTransfer]:
        logs = token_transfers(raw_logs, self.watched.addresses, self.tokens)
        check_logs_match(logs, {n: b.hash for n, b in blocks.items()})
        return [
            DetectedTransfer(
                chain=CHAIN, tx_hash=t.tx_hash, log_index=t.log_index,
                block_number=t.block_number, block_hash=t.block_hash,
                block_time=blocks[t.block_number].timestamp, asset=self.tokens[t.token],
                token=to_checksum_address(t.token), from_address=to_checksum_address(
                    t.from_address), to_address=to_checksum_address(t.to_address),
                amount=t.amount, invoice_id=self.watched.invoice_for_address(t.to_address),
            )
            for t in logs if t.block_number in blocks
        ]

    async def _native_payments(self, blocks: list[EvmBlock]) -> list[DetectedTransfer]:
        found = [(b, t) for b in blocks for t in native_transfers(b, self.watched.addresses)]
        ok = await self.successful([t.tx_hash for _, t in found])
        return [
            DetectedTransfer(
                chain=CHAIN, tx_hash=t.tx_hash, log_index=NATIVE_LOG_INDEX,
                block_number=b.number, block_hash=b.hash, block_time=b.timestamp,
                asset=NATIVE_ASSET, token=None,
                from_address=to_checksum_address(t.from_address) if t.from_address else None,
                to_address=to_checksum_address(t.to_address), amount=t.value,
                invoice_id=self.watched.invoice_for_address(t.to_address),
            )
            for b, t in found if t.tx_hash in ok
        ]

    async def scan(self, lo: int, hi: int, parent: BlockRef) -> Scan:
        """Payments to watched addresses in lo..hi, whose parent must be `parent`."""
        blocks = await self.blocks(lo, hi)
        if not blocks:
            return Scan((), ())
        if blocks[0].parent_hash != parent.hash:
            return Scan((), (), fork=True)
        for prev, block in pairwise(blocks):
            if block.parent_hash != prev.hash:
                raise MalformedResponse(f"block {block.number} does not follow {prev.number}: "
                                        "the chain moved between reads")
        raw_logs = await self.logs(lo, blocks[-1].number)
        by_number = {b.number: b for b in blocks}
        transfers = self._token_payments(raw_logs, by_number)
        transfers += await self._native_payments(blocks)
        return Scan(tuple(blocks), tuple(transfers), logs_seen=len(raw_logs))
