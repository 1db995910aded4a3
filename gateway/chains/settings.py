"""Watcher and lifecycle settings (docs/configuration.md "Chain watchers"), one nested value of
`Settings` (`settings.chains`).

Read by `gateway.config.Settings.from_env` through `chain_settings(reader, env)`. This module
imports nothing from `gateway.config` at run time (it is imported by it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.config import EnvReader

KNOWN_CHAINS = ("bsc", "solana")
FINALITY_MODES = ("tag", "depth")


def parse_chains(raw: str) -> tuple[str, ...]:
    chains = tuple(dict.fromkeys(p.strip() for p in raw.split(",") if p.strip()))
    unknown = [c for c in chains if c not in KNOWN_CHAINS]
    if unknown:
        raise ValueError(f"unknown chain(s) {', '.join(unknown)}; known: "
                         f"{', '.join(KNOWN_CHAINS)}")
    return chains


def parse_start_block(raw: str) -> int | None:
    text = raw.strip().lower()
    if text in ("", "latest"):
        return None
    if not text.isdigit():
        raise ValueError(f"must be 'latest' or a block number, got {raw!r}")
    return int(text)


@dataclass(frozen=True)
class ChainSettings:
    # Off when Settings is built directly (tests, tools); from_env turns it on in dev.
    watchers: bool = False
    watch_chains: tuple[str, ...] = ("bsc",)
    rpc_timeout_ms: int = 10_000
    rpc_retries: int = 3
    backoff_ms: int = 200
    backoff_cap_ms: int = 10_000
    leader_poll_ms: int = 1_000
    watched_reload_s: int = 60
    sweep_interval_ms: int = 1_000
    bsc_poll_ms: int = 500
    bsc_finality: str = "tag"
    bsc_confirmations: int = 15
    bsc_start_block: int | None = None
    bsc_log_range: int = 2_000
    bsc_block_batch: int = 50
    bsc_block_history: int = 256
    recent_blocks: int = 128
    solana_poll_ms: int = 500
    solana_tx_batch: int = 50
    solana_first_start: int = 1_000


def chain_settings(r: EnvReader, env: str) -> ChainSettings:
    return ChainSettings(
        watchers=r.bool("GATEWAY_WATCHERS", env == "dev"),
        watch_chains=r.parsed("GATEWAY_WATCH_CHAINS", "bsc,solana", parse_chains),
        rpc_timeout_ms=r.int("CHAIN_RPC_TIMEOUT_MS", 10_000, lo=100, hi=120_000),
        rpc_retries=r.int("CHAIN_RPC_RETRIES", 3, lo=1, hi=20),
        backoff_ms=r.int("CHAIN_BACKOFF_MS", 200, lo=10, hi=60_000),
        backoff_cap_ms=r.int("CHAIN_BACKOFF_CAP_MS", 10_000, lo=10, hi=600_000),
        leader_poll_ms=r.int("WATCHER_LEADER_POLL_MS", 1_000, lo=50, hi=60_000),
        watched_reload_s=r.int("WATCHED_RELOAD_SECONDS", 60, lo=1, hi=3_600),
        sweep_interval_ms=r.int("LIFECYCLE_SWEEP_MS", 1_000, lo=50, hi=600_000),
        bsc_poll_ms=r.int("BSC_POLL_INTERVAL_MS", 500, lo=10, hi=60_000),
        bsc_finality=r.choice("BSC_FINALITY", "tag", FINALITY_MODES),
        bsc_confirmations=r.int("BSC_CONFIRMATIONS", 15, lo=0, hi=10_000),
        bsc_start_block=r.parsed("BSC_START_BLOCK", "latest", parse_start_block),
        bsc_log_range=r.int("BSC_LOG_RANGE", 2_000, lo=1, hi=100_000),
        bsc_block_batch=r.int("BSC_BLOCK_BATCH", 50, lo=1, hi=1_000),
        bsc_block_history=r.int("BSC_BLOCK_HISTORY", 256, lo=16, hi=100_000),
        recent_blocks=r.int("CHAIN_RECENT_BLOCKS", 128, lo=1, hi=10_000),
        solana_poll_ms=r.int("SOLANA_POLL_INTERVAL_MS", 500, lo=10, hi=60_000),
        solana_tx_batch=r.int("SOLANA_TX_BATCH", 50, lo=1, hi=1_000),
        solana_first_start=r.int("SOLANA_FIRST_START_SIGNATURES", 1_000, lo=1, hi=1_000),
    )
