"""The `make run` startup step: bring the local devnets up unless configured elsewhere.

A chain whose RPC URL (BSC_RPC_URL / SOLANA_RPC_URL) is not the local devnet's is left alone:
the gateway then talks to that node (testnet, mainnet, a developer's own anvil). In prod no
devnet is ever started.
"""

from __future__ import annotations

import asyncio
import dataclasses

from gateway.config import Settings
from gateway.devnet import bsc
from gateway.devnet.orchestrator import DevnetConfig, solana_available, up


def local_bsc_url(settings: Settings) -> str:
    return f"http://{bsc.HOST}:{settings.devnet.bsc_port}"


def local_solana_url(settings: Settings) -> str:
    return f"http://{bsc.HOST}:{settings.devnet.solana_port}"


def _is_local(configured: str, local: str) -> bool:
    return configured.rstrip("/") in {local, local.replace(bsc.HOST, "localhost")}


async def devnet_startup(settings: Settings) -> list[str]:
    """Start the devnets the configuration points at; returns lines for the banner."""
    run_bsc = settings.dev and _is_local(settings.bsc_rpc_url, local_bsc_url(settings))
    run_solana = settings.dev and _is_local(settings.solana_rpc_url,
                                            local_solana_url(settings))
    config = dataclasses.replace(DevnetConfig.from_settings(settings), with_bsc=run_bsc,
                                 with_solana=run_solana)
    if run_bsc or run_solana:
        await asyncio.to_thread(up, config)
    lines = [_line("bnb chain", settings.bsc_rpc_url, run_bsc)]
    if run_solana and not solana_available():
        lines.append("solana:    devnet module not installed; not started")
    else:
        lines.append(_line("solana", settings.solana_rpc_url, run_solana))
    return lines


def _line(label: str, url: str, local: bool) -> str:
    where = "local devnet" if local else "external node"
    return f"{label + ':':<10} {url}  ({where})"
