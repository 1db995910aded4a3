"""A block's receipts as proof that the node knows all of it, checked before it is committed.

A lagging node or load-balancer replica can answer a block while its receipts or logs are not
there yet: `eth_getBlockReceipts` answers `null` (or a `null` receipt), `eth_getLogs` answers
an empty list. Read alone, either looks like "nothing paid here". So every transaction of the
block must have its receipt (same transaction hash, same block hash), and the token Transfer
logs `eth_getLogs` returned must be exactly those in the receipts; anything else raises
`IncompleteBlock` and the watcher retries the step without moving its cursor.

The receipts also say which transactions succeeded: a failed transaction keeps its `value`
field but moved nothing, so native and internal transfers count only for successful ones.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.chains.bsc.evm import TRANSFER_TOPIC, EvmBlock, hash32, quantity
from gateway.chains.errors import IncompleteBlock, MalformedResponse

STATUS_OK = "0x1"
STATUS_FAILED = "0x0"
LogKey = tuple[str, int]  # (transaction hash, log index)


@dataclass(frozen=True, slots=True)
class BlockReceipts:
    """What a block's receipts prove: its successful transactions and token Transfer logs."""

    number: int
    succeeded: frozenset[str]
    transfer_logs: frozenset[LogKey]


def _transfer_logs(tx_hash: str, logs: Any, tokens: Container[str]) -> Iterable[LogKey]:
    if not isinstance(logs, list):
        raise MalformedResponse(f"receipt {tx_hash} has no logs list")
    for entry in logs:
        topics = entry.get("topics") if isinstance(entry, dict) else None
        if isinstance(topics, list) and topics and topics[0] == TRANSFER_TOPIC \
                and str(entry.get("address", "")).lower() in tokens:
            yield tx_hash, quantity(entry.get("logIndex"), "receipt logIndex")


def check_receipts(block: EvmBlock, answer: Any, tokens: Container[str]) -> BlockReceipts:
    """The receipts `answer` of `block`, verified complete (IncompleteBlock otherwise)."""
    if not isinstance(answer, list):
        raise IncompleteBlock(f"block {block.number}: receipts answered {answer!r:.60}")
    by_hash: dict[str, Mapping[str, Any]] = {}
    for receipt in answer:
        if not isinstance(receipt, dict):
            raise IncompleteBlock(f"block {block.number}: a receipt is {receipt!r:.60}")
        by_hash[hash32(receipt.get("transactionHash"), "receipt transactionHash")] = receipt
    succeeded: set[str] = set()
    logs: set[LogKey] = set()
    for tx_hash in block.tx_hashes:
        receipt = by_hash.get(tx_hash)
        if receipt is None:
            raise IncompleteBlock(f"block {block.number}: no receipt for {tx_hash}")
        if str(receipt.get("blockHash", "")).lower() != block.hash:
            raise IncompleteBlock(f"block {block.number}: the receipt of {tx_hash} is of block "
                                  f"{receipt.get('blockHash')}, not {block.hash}")
        status = receipt.get("status")
        if status == STATUS_OK:
            succeeded.add(tx_hash)
            logs.update(_transfer_logs(tx_hash, receipt.get("logs"), tokens))
        elif status != STATUS_FAILED:
            raise MalformedResponse(f"receipt {tx_hash} has status {status!r}")
    if len(by_hash) != len(block.transactions):
        raise IncompleteBlock(f"block {block.number}: {len(by_hash)} receipts for "
                              f"{len(block.transactions)} transactions")
    return BlockReceipts(block.number, frozenset(succeeded), frozenset(logs))


def check_logs_agree(raw_logs: list[Any], receipts: Iterable[BlockReceipts]) -> None:
    """The token Transfer logs of `eth_getLogs` are exactly those in the blocks' receipts."""
    from_logs: set[LogKey] = set()
    for entry in raw_logs:
        if not isinstance(entry, dict):
            raise MalformedResponse(f"a log must be an object, got {type(entry).__name__}")
        topics = entry.get("topics")
        if isinstance(topics, list) and topics and topics[0] == TRANSFER_TOPIC:
            from_logs.add((hash32(entry.get("transactionHash"), "log transactionHash"),
                           quantity(entry.get("logIndex"), "logIndex")))
    from_receipts: set[LogKey] = set()
    for block in receipts:
        from_receipts |= block.transfer_logs
    if from_logs != from_receipts:
        raise IncompleteBlock(
            f"eth_getLogs and the receipts disagree: {len(from_receipts - from_logs)} Transfer "
            f"logs only in receipts, {len(from_logs - from_receipts)} only in eth_getLogs")


def regroup(blocks: list[EvmBlock], answers: list[Any]) -> list[list[Any]]:
    """Per-transaction receipt answers (all blocks' transactions in order) as one list per
    block, for nodes without eth_getBlockReceipts."""
    grouped, at = [], 0
    for block in blocks:
        grouped.append(answers[at:at + len(block.transactions)])
        at += len(block.transactions)
    return grouped
