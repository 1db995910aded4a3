"""The EVM parsers read real mainnet / geth answers (tests/fixtures/rpc, see SOURCES.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.chains.bsc.evm import (
    check_logs_match,
    native_transfers,
    parse_block,
    parse_transfer_log,
    token_transfers,
)
from gateway.chains.errors import MalformedResponse

RPC = Path(__file__).resolve().parents[2] / "fixtures" / "rpc"
BLOCK_483920 = "eth_getBlockByNumber_fullTx_mainnet_block483920_erc20_transfers_ethereum-etl.json"
LOGS_483920 = "eth_getFilterLogs_erc20_Transfer_mainnet_block483920_ethereum-etl.json"
HIVE_LATEST = "eth_getBlockByNumber_latest_fullTx_hive_testchain_execution-apis.json"
HIVE_FINALIZED = "eth_getBlockByNumber_finalized_fullTx_hive_testchain_execution-apis.json"
HIVE_LOGS = "eth_getLogs_topic_exact_match_hive_testchain_execution-apis.json"
TOKEN = "0xf4eced2f682ce333f96f2d8966c613ded8fc95dd"


def result(name: str) -> Any:
    data = json.loads((RPC / name).read_text())
    return data["result"] if "result" in data else data["response"]["result"]


def test_mainnet_block_header_and_native_transfers() -> None:
    block = parse_block(result(BLOCK_483920))
    assert block.number == 483920
    assert block.hash == "0x246edb4b351d93c27926f4649bcf6c24366e2a7c7c718dc9158eea20c03bc6ae"
    assert block.parent_hash == \
        "0x2610dc6eb941f4bcbddfd2362b999087ccd956e978f0ece4f8da96851283a2ba"
    assert block.timestamp == datetime.fromtimestamp(0x5638c858, UTC)
    natives = native_transfers(block)
    # Two plain ETH transfers; the two token calls carry value 0 and are not native payments.
    assert [(t.tx_hash[:10], t.from_address, t.to_address, t.value) for t in natives] == [
        ("0x463d53f0", "0x9df428a91ff0f3635c8f0ce752933b9788926804",
         "0x9e669f970ec0f49bb735f20799a7e7c4a1c274e2", 0x2714d78692b000),
        ("0x05287a56", "0x2a65aca4d5fc5b5c859090a6c34d164135398226",
         "0x743b8aeedc163c0e3a0fe9f3910d146c48e70da8", 0x153c6ea30e6ee800),
    ]
    watched = {"0x743b8aeedc163c0e3a0fe9f3910d146c48e70da8"}
    # 1.53021962 ETH
    assert [t.value for t in native_transfers(block, watched)] == [1_530_219_620_000_000_000]


def test_mainnet_erc20_transfer_logs() -> None:
    logs = token_transfers(result(LOGS_483920))
    assert [(t.token, t.log_index, t.from_address, t.to_address, t.amount) for t in logs] == [
        (TOKEN, 0, "0x1b63142628311395ceafeea5667e7c9026c862ca",
         "0xac4df82fe37ea2187bc8c011a23d743b4f39019a", 100_000),
        (TOKEN, 1, "0x9b22a80d5c7b3374a05b446081f97d0a34079e7f",
         "0x66f183060253cfbe45beff1e6e7ebbe318c81e56", 200_000),
    ]
    assert logs[0].tx_hash == \
        "0x04cbcb236043d8fb7839e07bbc7f5eed692fb2ca55d897f1101eac3e3ad4fab8"
    assert logs[0].block_number == 483920 and not logs[0].removed
    # The logs belong to the block read above.
    block = parse_block(result(BLOCK_483920))
    check_logs_match(logs, {block.number: block.hash})
    with pytest.raises(MalformedResponse):
        check_logs_match(logs, {block.number: block.parent_hash})


def test_watched_and_token_filters() -> None:
    raw = result(LOGS_483920)
    assert [t.amount for t in token_transfers(
        raw, {"0x66f183060253cfbe45beff1e6e7ebbe318c81e56"})] == [200_000]
    assert token_transfers(raw, None, {"0x55d398326f99059ff775485246999027b3197955"}) == []


def test_geth_blocks_latest_and_finalized() -> None:
    for name in (HIVE_LATEST, HIVE_FINALIZED):
        block = parse_block(result(name))
        assert block.number == 0x36
        # Contract creations (to: null) are skipped; the one call carries 2 wei.
        assert [(t.to_address, t.value) for t in native_transfers(block)] == [
            ("0x7dcd17433742f4c0ca53122ab541d0ba67fc27df", 2)]


def test_non_transfer_logs_are_ignored() -> None:
    # A geth log with a different event signature (and `removed: false`).
    assert token_transfers(result(HIVE_LOGS)) == []
    assert parse_transfer_log(result(HIVE_LOGS)[0]) is None


@pytest.mark.parametrize("bad", [None, [], {"number": "12", "transactions": []},
                                 {"number": "0x1", "hash": "0x12", "transactions": []}])
def test_malformed_blocks_raise(bad: Any) -> None:
    with pytest.raises(MalformedResponse):
        parse_block(bad)


def test_removed_logs_are_not_payments() -> None:
    raw = [dict(result(LOGS_483920)[0], removed=True)]
    assert token_transfers(raw) == []
