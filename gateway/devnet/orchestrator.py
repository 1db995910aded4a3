"""Bring both local devnets up, down, report on them and reset them.

Everything lives under one run directory (`<data_dir>/devnet/` for the CLI and `make run`, a
temp dir for tests): `bsc.pid|log|json`, `bsc-state.json`, `solana.pid|log|json` and
`solana-state/`. `up` is idempotent: a devnet already running with the same port is only
checked (and its tokens ensured); one running on another port is an error, not a surprise.
The Solana devnet is another engineer's module; it is started when it is installed.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from gateway.config import Settings
from gateway.devnet import bsc, jsonrpc
from gateway.devnet.bsc_tokens import ensure_tokens
from gateway.devnet.errors import DevnetError, DevnetStartError
from gateway.devnet.process import ManagedProcess, ProcessInfo
from gateway.errors import ChainError
from gateway.log import get_logger

log = get_logger(__name__)

SOLANA_PROCESS = "solana"
SOLANA_STATE_DIR = "solana-state"
SOLANA_MODULE = "gateway.devnet.solana"


def solana_available() -> bool:
    """Whether the Solana devnet module (`python -m gateway.devnet.solana`) is installed."""
    return importlib.util.find_spec(f"{SOLANA_MODULE}.__main__") is not None


@dataclass(frozen=True)
class DevnetConfig:
    """What to run and how; `with_bsc`/`with_solana` False leaves that chain alone."""

    run_dir: Path
    bsc_port: int = bsc.DEFAULT_PORT
    bsc_block_time: Decimal = Decimal("1")
    bsc_finality_blocks: int = 2
    solana_port: int = 8899
    solana_slot_ms: int = 400
    solana_finality_slots: int = 32
    with_bsc: bool = True
    with_solana: bool = True
    persist_bsc_state: bool = True
    die_with_parent: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> DevnetConfig:
        return cls(
            run_dir=settings.data_dir / "devnet",
            bsc_port=settings.devnet.bsc_port,
            bsc_block_time=settings.devnet.bsc_block_time,
            bsc_finality_blocks=settings.devnet.bsc_finality_blocks,
            solana_port=settings.devnet.solana_port,
            solana_slot_ms=int(settings.devnet.solana_slot_time * 1000),
            solana_finality_slots=settings.devnet.solana_finality_slots,
        )

    @property
    def anvil(self) -> bsc.AnvilOptions:
        state = self.run_dir / bsc.STATE_FILE if self.persist_bsc_state else None
        return bsc.AnvilOptions(self.bsc_port, self.bsc_block_time, self.bsc_finality_blocks,
                                state)

    @property
    def bsc_rpc_url(self) -> str:
        return self.anvil.rpc_url

    @property
    def solana_rpc_url(self) -> str:
        return f"http://{bsc.HOST}:{self.solana_port}"

    @property
    def solana_state_dir(self) -> Path:
        return self.run_dir / SOLANA_STATE_DIR

    def solana_argv(self) -> list[str]:
        return [
            sys.executable, "-m", SOLANA_MODULE, "--host", bsc.HOST,
            "--port", str(self.solana_port), "--slot-ms", str(self.solana_slot_ms),
            "--finality-slots", str(self.solana_finality_slots),
            "--state-dir", str(self.solana_state_dir),
        ]


@dataclass(frozen=True)
class ChainStatus:
    name: str
    running: bool
    url: str | None
    pid: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class DevnetStatus:
    chains: tuple[ChainStatus, ...] = field(default_factory=tuple)

    def url(self, name: str) -> str | None:
        return next((c.url for c in self.chains if c.name == name), None)

    @property
    def all_running(self) -> bool:
        return all(c.running for c in self.chains)


def _solana_ready(url: str) -> bool:
    return jsonrpc.answers(url, "getHealth", "ok")


def _ensure_same(process: ManagedProcess, info: ProcessInfo, url: str,
                 argv: list[str]) -> None:
    # Reusing a devnet started with other settings would silently ignore the configuration.
    if info.url != url:
        raise DevnetError(
            f"the {process.name} devnet already runs at {info.url}, not {url}; "
            "run `python -m gateway devnet down` first"
        )
    if list(info.argv) != argv:
        changed = sorted(set(argv) ^ set(info.argv))
        raise DevnetError(
            f"the {process.name} devnet already runs with other options ({' '.join(changed)}); "
            "run `python -m gateway devnet down` first"
        )


def _port_free(url: str, name: str, probe: str) -> None:
    # Something else answering there (a developer's own anvil) would be mistaken for ours.
    if jsonrpc.answers(url, probe, timeout=0.5):
        raise DevnetStartError(
            f"{url} already answers but is not a {name} devnet started here; stop it, choose "
            f"another port, or point the gateway at it with its *_RPC_URL variable"
        )


def up_bsc(config: DevnetConfig) -> ProcessInfo:
    process = bsc.process(config.run_dir)
    info = process.info()
    if info is not None:
        _ensure_same(process, info, config.bsc_rpc_url, config.anvil.argv())
        if not bsc.chain_ready(info.url):
            raise DevnetError(f"the BNB Chain devnet (pid {info.pid}) does not answer at "
                              f"{info.url}; see {process.log_file}")
    else:
        _port_free(config.bsc_rpc_url, "BNB Chain", "eth_chainId")
        info = bsc.start(config.run_dir, config.anvil, die_with_parent=config.die_with_parent)
    try:
        ensure_tokens(info.url, bsc.TOKENS)
    except ChainError as exc:
        raise DevnetError(f"could not place the BEP-20 test tokens: {exc}") from exc
    return info


def up_solana(config: DevnetConfig) -> ProcessInfo:
    process = ManagedProcess(SOLANA_PROCESS, config.run_dir)
    info = process.info()
    if info is not None:
        _ensure_same(process, info, config.solana_rpc_url, config.solana_argv())
        return info
    _port_free(config.solana_rpc_url, "Solana", "getHealth")
    return process.start(
        config.solana_argv(), url=config.solana_rpc_url,
        ready=lambda: _solana_ready(config.solana_rpc_url), timeout=60.0,
        die_with_parent=config.die_with_parent,
    )


def up(config: DevnetConfig) -> DevnetStatus:
    """Start (or check) the configured devnets; returns where they answer."""
    if config.with_bsc:
        up_bsc(config)
    if config.with_solana and solana_available():
        up_solana(config)
    return status(config)


def down(config: DevnetConfig) -> list[str]:
    """Stop both devnets (anvil writes its state on SIGTERM); returns the names stopped."""
    stopped = []
    for name in (SOLANA_PROCESS, bsc.PROCESS_NAME):
        if ManagedProcess(name, config.run_dir).stop():
            stopped.append(name)
    return stopped


def reset(config: DevnetConfig) -> DevnetStatus:
    """Stop, forget all chain state, start again from genesis."""
    down(config)
    (config.run_dir / bsc.STATE_FILE).unlink(missing_ok=True)
    shutil.rmtree(config.solana_state_dir, ignore_errors=True)
    log.info("devnet_reset", run_dir=str(config.run_dir))
    return up(config)


def _chain_status(config: DevnetConfig, name: str) -> ChainStatus:
    info = ManagedProcess(name, config.run_dir).info()
    if info is None:
        return ChainStatus(name, False, None, detail="stopped")
    try:
        if name == bsc.PROCESS_NAME:
            tags = bsc.head(info.url)
            detail = ", ".join(f"{tag} {number}" for tag, number in tags.items())
        else:
            detail = f"slot {jsonrpc.call(info.url, 'getSlot')}"
    except ChainError as exc:
        return ChainStatus(name, False, info.url, info.pid, f"not answering: {exc}")
    return ChainStatus(name, True, info.url, info.pid, detail)


def status(config: DevnetConfig) -> DevnetStatus:
    names = [bsc.PROCESS_NAME] if config.with_bsc else []
    if config.with_solana and solana_available():
        names.append(SOLANA_PROCESS)
    return DevnetStatus(tuple(_chain_status(config, name) for name in names))
