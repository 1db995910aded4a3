"""`devnets` (session): anvil and the Solana RPC devnet on free ports with fast timing.

Started through the orchestrator (`gateway.devnet.orchestrator.up`) in a temp data dir, the
way `python -m gateway devnet up` starts them, and stopped at the end of the session; both
processes also die with the test process if it is killed. Timing: anvil mines every
`BSC_BLOCK_TIME` seconds with `finalized = latest - BSC_FINALITY_BLOCKS`; Solana slots are
`SOLANA_SLOT_TIME` with finality after `SOLANA_FINALITY_SLOTS`.

Tests share these chains: each test pays into addresses it made up itself (e.g.
`fresh_bsc_address()`) and never relies on a test wallet's exact balance.
`start_devnets(run_dir, ...)` starts a private pair for tests that stop or reset a chain.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.devnet import bsc
from gateway.devnet.orchestrator import DevnetConfig, down, solana_available, up

BSC_BLOCK_TIME = Decimal("0.2")
BSC_FINALITY_BLOCKS = 2
SOLANA_SLOT_MS = 50
SOLANA_FINALITY_SLOTS = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def fresh_bsc_address() -> str:
    """An address nobody has used: a place for one test's payments."""
    from eth_utils.address import to_checksum_address

    return str(to_checksum_address("0x" + os.urandom(20).hex()))


@dataclass(frozen=True)
class Devnets:
    """Where the session's devnets answer and what is on them."""

    config: DevnetConfig
    bsc_rpc_url: str
    solana_rpc_url: str | None
    bsc_tokens: dict[str, str] = field(default_factory=dict)  # symbol -> contract address
    bsc_wallets: tuple[tuple[str, str], ...] = bsc.TEST_WALLETS  # (address, private key)
    solana_mints: dict[str, str] = field(default_factory=dict)  # symbol -> mint
    solana_wallets: tuple[str, ...] = ()
    solana_treasury: str | None = None

    @property
    def data_dir(self) -> Path:
        """GATEWAY_DATA_DIR for a CLI run that should see these devnets."""
        return self.config.run_dir.parent

    def env(self) -> dict[str, str]:
        """Environment for `python -m gateway ...` subprocesses pointed at these devnets."""
        return {
            **os.environ,
            "GATEWAY_DATA_DIR": str(self.data_dir),
            "BSC_DEVNET_PORT": str(self.config.bsc_port),
            "SOLANA_DEVNET_PORT": str(self.config.solana_port),
            "BSC_BLOCK_TIME": str(self.config.bsc_block_time),
            "BSC_FINALITY_BLOCKS": str(self.config.bsc_finality_blocks),
            "SOLANA_SLOT_TIME": str(self.config.solana_slot_ms / 1000),
            "SOLANA_FINALITY_SLOTS": str(self.config.solana_finality_slots),
        }


def _solana_facts() -> tuple[dict[str, str], tuple[str, ...], str | None]:
    if not solana_available():
        return {}, (), None
    from gateway.devnet.solana import constants as sol

    mints = {"USDT": sol.USDT_MINT, "USDC": sol.USDC_MINT, "KZTE": sol.KZTE_MINT}
    return mints, tuple(sol.TEST_WALLETS), sol.TREASURY_PUBKEY


def devnet_config(run_dir: Path, *, solana: bool = True) -> DevnetConfig:
    return DevnetConfig(
        run_dir=run_dir, bsc_port=free_port(), bsc_block_time=BSC_BLOCK_TIME,
        bsc_finality_blocks=BSC_FINALITY_BLOCKS, solana_port=free_port(),
        solana_slot_ms=SOLANA_SLOT_MS, solana_finality_slots=SOLANA_FINALITY_SLOTS,
        with_solana=solana, die_with_parent=True,
    )


@contextlib.contextmanager
def start_devnets(run_dir: Path, *, solana: bool = True) -> Iterator[Devnets]:
    """Start devnets under `run_dir` for the duration of the block."""
    config = devnet_config(run_dir, solana=solana)
    try:
        status = up(config)
        mints, wallets, treasury = _solana_facts() if solana else ({}, (), None)
        yield Devnets(
            config=config,
            bsc_rpc_url=config.bsc_rpc_url,
            solana_rpc_url=status.url("solana"),
            bsc_tokens={t.symbol: t.address for t in bsc.TOKENS},
            solana_mints=mints,
            solana_wallets=wallets,
            solana_treasury=treasury,
        )
    finally:
        down(config)


@pytest.fixture(scope="session")
def devnets() -> Iterator[Devnets]:
    # Short path under /tmp, like the database fixture, and removed at the end.
    tmp = Path(tempfile.mkdtemp(prefix="ccp-devnet-", dir="/tmp"))
    try:
        with start_devnets(tmp / "devnet") as started:
            yield started
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
