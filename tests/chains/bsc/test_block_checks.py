"""A block is only as complete as its receipts and traces: the pure checks behind "never commit
a block while any receipt or log answer for it is missing or inconsistent", and the parsing of
internal BNB transfers from call traces."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from gateway.chains.bsc.evm import TRANSFER_TOPIC, EvmBlock
from gateway.chains.bsc.receipts import check_logs_agree, check_receipts, regroup
from gateway.chains.bsc.scan import method_unsupported
from gateway.chains.bsc.trace import internal_index, internal_transfers
from gateway.chains.errors import IncompleteBlock, NodeError
from gateway.chains.issued import IssuedAddresses, prefix
from gateway.chains.models import NATIVE_LOG_INDEX

BLOCK_HASH = "0x" + "b1" * 32
OTHER_HASH = "0x" + "b2" * 32
TOKEN = "0x" + "70" * 20
TX = ["0x" + f"{n:02x}" * 32 for n in (1, 2)]
DEPOSIT = "0x" + "de" * 20


def _block(*hashes: str) -> EvmBlock:
    return EvmBlock(7, BLOCK_HASH, "0x" + "00" * 32, datetime.now(UTC),
                    tuple({"hash": h, "to": TOKEN, "value": "0x0"} for h in hashes))


def _log(tx: str, index: int) -> dict[str, Any]:
    return {"address": TOKEN, "topics": [TRANSFER_TOPIC, "0x" + "00" * 32, "0x" + "00" * 32],
            "data": "0x" + "00" * 32, "transactionHash": tx, "logIndex": hex(index),
            "blockHash": BLOCK_HASH, "blockNumber": "0x7"}


def _receipt(tx: str, *, status: str = "0x1", block_hash: str = BLOCK_HASH,
             logs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"transactionHash": tx, "blockHash": block_hash, "status": status,
            "logs": logs or []}


def test_complete_receipts_name_successes_and_transfer_logs() -> None:
    checked = check_receipts(_block(*TX), [_receipt(TX[0], logs=[_log(TX[0], 0)]),
                                           _receipt(TX[1], status="0x0")], {TOKEN})
    assert checked.succeeded == {TX[0]}
    assert checked.transfer_logs == {(TX[0], 0)}
    check_logs_agree([_log(TX[0], 0)], [checked])


@pytest.mark.parametrize("answer", [
    None,                                          # the node has no receipts for the block
    [None, None],                                  # ... or null receipts
    [_receipt(TX[0])],                             # one missing
    [_receipt(TX[0]), _receipt(TX[0])],            # a duplicate in place of one
    [_receipt(TX[0]), _receipt(TX[1], block_hash=OTHER_HASH)],  # from another (reorged) block
])
def test_missing_or_foreign_receipts_refuse_the_block(answer: Any) -> None:
    with pytest.raises(IncompleteBlock):
        check_receipts(_block(*TX), answer, {TOKEN})


def test_logs_that_contradict_the_receipts_refuse_the_block() -> None:
    checked = check_receipts(_block(*TX), [_receipt(TX[0], logs=[_log(TX[0], 0)]),
                                           _receipt(TX[1])], {TOKEN})
    with pytest.raises(IncompleteBlock):
        check_logs_agree([], [checked])  # a lagging replica's empty eth_getLogs
    with pytest.raises(IncompleteBlock):
        check_logs_agree([_log(TX[0], 0), _log(TX[1], 1)], [checked])


def test_per_transaction_receipts_regroup_by_block() -> None:
    blocks = [_block(TX[0]), _block(*TX)]
    assert regroup(blocks, ["a", "b", "c"]) == [["a"], ["b", "c"]]


def _frame(to: str, value: int, *calls: dict[str, Any], error: str | None = None,
           kind: str = "CALL") -> dict[str, Any]:
    frame: dict[str, Any] = {"type": kind, "from": "0x" + "f0" * 20, "to": to,
                             "value": hex(value), "calls": list(calls)}
    if error:
        frame["error"] = error
    return frame


def test_internal_transfers_skip_reverted_calls_and_failed_transactions() -> None:
    wallet = "0x" + "c0" * 20
    top = _frame(wallet, 10,
                 _frame(DEPOSIT, 3),                                      # position 0
                 _frame(wallet, 0, _frame(DEPOSIT, 4), error="reverted"),  # 1, 2: undone
                 _frame(wallet, 0, _frame(DEPOSIT, 5)),                   # 3, 4
                 _frame(wallet, 9, kind="STATICCALL"))                    # 5: moves nothing
    trace = [{"txHash": TX[0], "result": top}, {"txHash": TX[1], "result": top}]
    found = internal_transfers(_block(*TX), trace, {TX[0]})  # TX[1] failed
    assert [(t.tx_hash, t.to_address, t.value, t.index) for t in found] == [
        (TX[0], DEPOSIT, 3, internal_index(0)), (TX[0], DEPOSIT, 5, internal_index(4))]
    assert all(t.index < NATIVE_LOG_INDEX for t in found)


@pytest.mark.parametrize("answer", [None, [], [{"txHash": TX[1], "result": {}}],
                                    [{"txHash": TX[0], "result": None}]])
def test_a_trace_not_covering_the_block_refuses_it(answer: Any) -> None:
    with pytest.raises(IncompleteBlock):
        internal_transfers(_block(TX[0]), answer, {TX[0]})


def test_issued_addresses_match_any_case_and_new_ones() -> None:
    addresses = sorted((f"0x{n:040x}" for n in (1, 2**159 + 5, 2**160 - 1)), key=prefix)
    packed = b"".join(prefix(a).to_bytes(8, "big", signed=True) for a in addresses)
    issued = IssuedAddresses(packed)
    assert all(a.upper().replace("0X", "0x") in issued for a in addresses)
    assert DEPOSIT not in issued
    issued.add(DEPOSIT.upper().replace("0X", "0x"))
    assert DEPOSIT in issued and len(issued) == 4


@pytest.mark.parametrize(("message", "code", "unsupported"), [
    ("eth_getBlockReceipts: the method eth_getBlockReceipts does not exist", None, True),
    ("debug_traceBlockByNumber: Method not found", -32601, True),
    ("debug_traceBlockByNumber: method not available", -32000, True),
    ("eth_getBlockReceipts: header not found", -32000, False),  # a lagging node: retry
])
def test_only_a_missing_method_counts_as_unsupported(message: str, code: int | None,
                                                     unsupported: bool) -> None:
    assert method_unsupported(NodeError(message, code=code)) is unsupported
