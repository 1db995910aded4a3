"""Parsers for EVM JSON-RPC answers (BNB Chain nodes answer in the geth shape).

They read the raw JSON a node sends: `eth_getBlockByNumber(n, true)` (block header plus full
transaction objects) and `eth_getLogs` entries. Matching is done on the raw dicts, so a block
full of transactions to unwatched addresses costs one dict lookup per transaction and no
objects are built for it. Addresses are compared in lower case; the watched set is keyed so.

An ERC-20/BEP-20 `Transfer(address indexed from, address indexed to, uint256 value)` log has
exactly three topics (ERC-721 puts the token id in a fourth) and 32 bytes of data.
Anything that does not have the documented shape raises `MalformedResponse`.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gateway.chains.errors import MalformedResponse
from gateway.chains.models import NATIVE_LOG_INDEX

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
_WORD_HEX = 64  # one 32-byte ABI word in hex digits


@dataclass(frozen=True, slots=True)
class EvmBlock:
    number: int
    hash: str
    parent_hash: str
    timestamp: datetime
    transactions: tuple[Mapping[str, Any], ...]  # raw, as the node sent them
    # The transactions' hashes, checked and lower case, read once: the receipt, log and
    # trace checks all walk them.
    tx_hashes: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if len(self.tx_hashes) != len(self.transactions):
            object.__setattr__(self, "tx_hashes", tuple(
                hash32(tx.get("hash"), "transaction hash") for tx in self.transactions))


@dataclass(frozen=True, slots=True)
class NativeTransfer:
    """The native coin (BNB) moved to an address: by a transaction itself (`index`
    NATIVE_LOG_INDEX) or by a call inside it (an internal transaction, gateway.chains.bsc.trace,
    `index` below that, so the stored key never collides with a log's)."""

    tx_hash: str
    from_address: str
    to_address: str
    value: int
    index: int = NATIVE_LOG_INDEX


@dataclass(frozen=True, slots=True)
class TokenTransfer:
    """One ERC-20 / BEP-20 Transfer log."""

    token: str
    tx_hash: str
    log_index: int
    block_number: int
    block_hash: str
    from_address: str
    to_address: str
    amount: int
    removed: bool


def quantity(value: Any, what: str) -> int:
    """A JSON-RPC QUANTITY (`"0x1a"`) as an int."""
    if not isinstance(value, str) or not value.startswith("0x"):
        raise MalformedResponse(f"{what} is not a hex quantity: {value!r}")
    try:
        return int(value, 16)
    except ValueError as exc:
        raise MalformedResponse(f"{what} is not a hex quantity: {value!r}") from exc


def hash32(value: Any, what: str) -> str:
    if not isinstance(value, str) or len(value) != 66 or not value.startswith("0x"):
        raise MalformedResponse(f"{what} is not a 32-byte hash: {value!r}")
    return value.lower()


def parse_block(raw: Any) -> EvmBlock:
    """An `eth_getBlockByNumber(n, true)` result (None for a block the node does not have)."""
    if not isinstance(raw, dict):
        raise MalformedResponse(f"a block must be an object, got {type(raw).__name__}")
    txs = raw.get("transactions")
    if not isinstance(txs, list):
        raise MalformedResponse("the block has no transactions list")
    if txs and not isinstance(txs[0], dict):
        raise MalformedResponse("the block lists transaction hashes, not objects")
    return EvmBlock(
        number=quantity(raw.get("number"), "block number"),
        hash=hash32(raw.get("hash"), "block hash"),
        parent_hash=hash32(raw.get("parentHash"), "parentHash"),
        timestamp=datetime.fromtimestamp(quantity(raw.get("timestamp"), "timestamp"), UTC),
        transactions=tuple(txs),
    )


def native_transfers(block: EvmBlock, watched: Container[str] | None = None
                     ) -> list[NativeTransfer]:
    """Value-carrying transactions of `block` to a watched address (all when None).

    A receipt check (status 1) is still needed before crediting: a transaction can fail and
    keep its value.
    """
    found = []
    for tx in block.transactions:
        to = tx.get("to")
        if to is None:  # contract creation
            continue
        to = to.lower()
        if watched is not None and to not in watched:
            continue
        value = quantity(tx.get("value"), "transaction value")
        if value > 0:
            found.append(NativeTransfer(
                tx_hash=hash32(tx.get("hash"), "transaction hash"),
                from_address=str(tx.get("from", "")).lower(), to_address=to, value=value,
            ))
    return found


def _topic_address(topic: Any, what: str) -> str:
    if not isinstance(topic, str) or len(topic) != 2 + _WORD_HEX:
        raise MalformedResponse(f"{what} topic is not a 32-byte word: {topic!r}")
    return "0x" + topic[-40:].lower()


def parse_transfer_log(raw: Any) -> TokenTransfer | None:
    """An `eth_getLogs` entry as a token transfer; None when it is not an ERC-20 Transfer."""
    if not isinstance(raw, dict):
        raise MalformedResponse(f"a log must be an object, got {type(raw).__name__}")
    topics = raw.get("topics")
    if not isinstance(topics, list) or len(topics) != 3 or topics[0] != TRANSFER_TOPIC:
        return None
    data = raw.get("data")
    if not isinstance(data, str) or len(data) != 2 + _WORD_HEX:
        return None  # not the ERC-20 layout (e.g. a non-standard token)
    return TokenTransfer(
        token=str(raw.get("address", "")).lower(),
        tx_hash=hash32(raw.get("transactionHash"), "log transactionHash"),
        log_index=quantity(raw.get("logIndex"), "logIndex"),
        block_number=quantity(raw.get("blockNumber"), "log blockNumber"),
        block_hash=hash32(raw.get("blockHash"), "log blockHash"),
        from_address=_topic_address(topics[1], "from"),
        to_address=_topic_address(topics[2], "to"),
        amount=quantity(data, "log data"),
        removed=bool(raw.get("removed", False)),
    )


def token_transfers(logs: Any, watched: Container[str] | None = None,
                    tokens: Container[str] | None = None) -> list[TokenTransfer]:
    """Transfer logs to a watched address (all when None) of the given token contracts."""
    if not isinstance(logs, list):
        raise MalformedResponse(f"eth_getLogs must answer a list, got {type(logs).__name__}")
    found = []
    for raw in logs:
        # Cheap pre-filter on the raw topic before parsing: most logs are for others.
        topics = raw.get("topics") if isinstance(raw, dict) else None
        if watched is not None and isinstance(topics, list) and len(topics) == 3 \
                and isinstance(topics[2], str) and "0x" + topics[2][-40:].lower() not in watched:
            continue
        transfer = parse_transfer_log(raw)
        if transfer is None or transfer.removed:
            continue
        if tokens is not None and transfer.token not in tokens:
            continue
        found.append(transfer)
    return found


def check_logs_match(logs: Iterable[TokenTransfer], blocks: Mapping[int, str]) -> None:
    """Every log's block hash is the hash of the block we read at that height.

    A mismatch means the chain reorganised between the two reads: the caller re-reads.
    """
    for log in logs:
        expected = blocks.get(log.block_number)
        if expected is not None and expected != log.block_hash:
            raise MalformedResponse(
                f"log {log.tx_hash}:{log.log_index} is in block {log.block_hash}, but block "
                f"{log.block_number} is {expected} (the chain moved between reads)"
            )
