"""Native BNB moved by calls inside a transaction (internal transactions), from a block's
`debug_traceBlockByNumber` answer with geth's `callTracer`.

A contract wallet or an exchange's withdrawal contract pays a deposit address from inside its
code: the transaction's own `to` and `value` name the contract, and no log is emitted, so only
the call trace shows the payment. Every call frame below the top one that moves value (CALL,
CREATE, CREATE2, SELFDESTRUCT) is an internal transfer, unless the frame or one of its callers
reverted (an `error`: its value went back) or the transaction failed.

Each internal transfer gets a distinct index below NATIVE_LOG_INDEX from its frame's position
in the trace (depth-first, as the tracer orders calls), so the stored key (chain, tx hash,
index) is stable across re-reads and never collides with a log index or the transaction's
own native transfer.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping
from typing import Any

from gateway.chains.bsc.evm import EvmBlock, NativeTransfer, quantity
from gateway.chains.errors import IncompleteBlock
from gateway.chains.models import NATIVE_LOG_INDEX

TRACER = {"tracer": "callTracer"}
VALUE_FRAMES = frozenset({"CALL", "CREATE", "CREATE2", "SELFDESTRUCT"})


def internal_index(position: int) -> int:
    """The stored index of the internal call at `position` (0-based, depth-first)."""
    return NATIVE_LOG_INDEX - 1 - position


def _frames(top: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The call frames below `top`, depth-first in call order, skipping reverted subtrees
    (their positions still count, so indexes do not shift with revert outcomes)."""
    stack = list(reversed(top.get("calls") or []))
    while stack:
        frame = stack.pop()
        if not isinstance(frame, dict):
            raise IncompleteBlock(f"a call frame is {frame!r:.60}")
        yield frame
        stack.extend(reversed(frame.get("calls") or []))


def _reverted_subtree(frame: Mapping[str, Any]) -> int:
    """How many frames a reverted `frame` covers (itself and every call below it)."""
    return 1 + sum(_reverted_subtree(f) for f in frame.get("calls") or [])


def _transfers(tx_hash: str, top: Mapping[str, Any]) -> list[NativeTransfer]:
    found: list[NativeTransfer] = []
    position, skip = -1, 0
    for frame in _frames(top):
        position += 1
        if skip:
            skip -= 1
            continue
        if frame.get("error"):
            skip = _reverted_subtree(frame) - 1
            continue
        value = frame.get("value")
        to = frame.get("to")
        if frame.get("type") not in VALUE_FRAMES or not isinstance(to, str) or value is None:
            continue
        amount = quantity(value, "call value")
        if amount > 0:
            found.append(NativeTransfer(tx_hash=tx_hash,
                                        from_address=str(frame.get("from", "")).lower(),
                                        to_address=to.lower(), value=amount,
                                        index=internal_index(position)))
    return found


def internal_transfers(block: EvmBlock, answer: Any, succeeded: Container[str]
                       ) -> list[NativeTransfer]:
    """The internal native transfers of `block`'s successful transactions (IncompleteBlock
    when the trace does not cover every transaction of the block)."""
    if not isinstance(answer, list) or len(answer) != len(block.transactions):
        raise IncompleteBlock(f"block {block.number}: the trace answered {answer!r:.60} for "
                              f"{len(block.transactions)} transactions")
    found: list[NativeTransfer] = []
    for tx_hash, item in zip(block.tx_hashes, answer, strict=True):
        top = item.get("result") if isinstance(item, dict) else None
        if not isinstance(top, dict) or item.get("txHash", tx_hash).lower() != tx_hash:
            raise IncompleteBlock(f"block {block.number}: no trace for {tx_hash}")
        if tx_hash in succeeded and top.get("calls"):
            found += _transfers(tx_hash, top)
    return found
