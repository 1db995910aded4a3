"""up is idempotent, down keeps the chain, reset returns to a fresh chain; finality depth."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.devnet import bsc, jsonrpc
from gateway.devnet.bsc_tokens import balance_of, total_supply
from gateway.devnet.bsc_wallet import pay_uri
from gateway.devnet.errors import DevnetError, DevnetStartError
from gateway.devnet.orchestrator import down, reset, status, up
from gateway.devnet.process import ProcessState, transition
from tests.plugins.devnet import (
    BSC_FINALITY_BLOCKS,
    Devnets,
    devnet_config,
    fresh_bsc_address,
)


def _balance(url: str, address: str) -> int:
    return int(jsonrpc.call(url, "eth_getBalance", [address, "latest"]), 16)


def _block(url: str, tag: str) -> dict[str, str]:
    block: dict[str, str] = jsonrpc.call(url, "eth_getBlockByNumber", [tag, False])
    return block


@pytest.mark.slow  # starts and stops its own anvil
async def test_up_down_reset(tmp_path: Path) -> None:
    config = devnet_config(tmp_path / "devnet", solana=False)
    url = config.bsc_rpc_url
    try:
        first = up(config)
        assert first.all_running and first.url("bsc") == url
        pid = first.chains[0].pid
        assert up(config).chains[0].pid == pid  # already running: checked, not restarted
        to = fresh_bsc_address()
        await pay_uri(f"ethereum:{to}@56?value=77", rpc_url=url)
        mined = _block(url, "latest")

        assert down(config) == ["bsc"]
        assert not status(config).all_running
        assert (config.run_dir / bsc.STATE_FILE).exists()
        up(config)  # the persisted chain comes back with its blocks and balances
        assert _balance(url, to) == 77
        assert _block(url, mined["number"])["hash"] == mined["hash"]

        fresh = await asyncio.to_thread(reset, config)
        assert fresh.all_running
        assert _balance(url, to) == 0
        assert int(_block(url, "latest")["number"], 16) < int(mined["number"], 16)
        for spec in bsc.TOKENS:
            assert total_supply(url, spec.address) == 3 * bsc.TOKEN_WALLET_UNITS
            assert balance_of(url, spec.address, bsc.TEST_WALLETS[0][0]) == \
                bsc.TOKEN_WALLET_UNITS
            assert balance_of(url, spec.address, bsc.TEST_WALLETS[3][0]) == 0
    finally:
        down(config)
    assert not (config.run_dir / "bsc.pid").exists()


def test_up_refuses_a_port_someone_else_answers_on(devnets: Devnets, tmp_path: Path) -> None:
    theirs = dataclasses.replace(devnet_config(tmp_path, solana=False),
                                 bsc_port=devnets.config.bsc_port)
    with pytest.raises(DevnetStartError, match="already answers"):
        up(theirs)


def test_up_refuses_a_different_port_while_running(devnets: Devnets) -> None:
    moved = dataclasses.replace(devnets.config, bsc_port=devnets.config.bsc_port + 1)
    with pytest.raises(DevnetError, match="already runs at"):
        up(moved)
    slower = dataclasses.replace(devnets.config, bsc_block_time=Decimal("0.5"))
    with pytest.raises(DevnetError, match=r"other options \(0.2 0.5\)"):
        up(slower)


def test_process_state_transitions_are_guarded() -> None:
    assert transition(ProcessState.STOPPED, ProcessState.STARTING) is ProcessState.STARTING
    with pytest.raises(DevnetError, match="running to starting"):
        transition(ProcessState.RUNNING, ProcessState.STARTING)


def test_finalized_lags_latest_by_the_configured_depth(devnets: Devnets) -> None:
    url = devnets.bsc_rpc_url

    def number(tag: str) -> int:
        return int(_block(url, tag)["number"], 16)

    # A block may land between two reads; a read of latest framed by two equal reads of
    # finalized (and safe) saw one chain head.
    for _ in range(50):
        finalized, safe, latest = number("finalized"), number("safe"), number("latest")
        if number("finalized") == finalized and number("safe") == safe:
            break
    assert latest - finalized == BSC_FINALITY_BLOCKS
    assert latest - safe == BSC_FINALITY_BLOCKS // 2


def test_finalized_advances_past_a_block_within_a_second(devnets: Devnets) -> None:
    url = devnets.bsc_rpc_url
    target = int(_block(url, "latest")["number"], 16)
    began = time.monotonic()
    while int(_block(url, "finalized")["number"], 16) < target:
        assert time.monotonic() - began < 5, "finalized did not reach the block in 5 s"
        time.sleep(0.05)
    # 2 blocks of 0.2 s: about 0.4-0.6 s when the machine is not overloaded.
    assert time.monotonic() - began < 5
