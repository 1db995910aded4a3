"""`python -m gateway.devnet.solana`: the local Solana JSON-RPC devnet over LiteSVM.

Ready when getHealth answers "ok". Every start is a fresh genesis and a cleaned --state-dir.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from gateway.devnet.solana import constants as c
from gateway.devnet.solana.server import DevnetConfig, create_app, reset_state_dir
from gateway.log import configure_logging, get_logger


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _decimals(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 9:
        raise argparse.ArgumentTypeError(f"must be between 0 and 9, got {value}")
    return value


def parse_args(argv: Sequence[str] | None) -> DevnetConfig:
    parser = argparse.ArgumentParser(prog="python -m gateway.devnet.solana",
                                     description="local Solana JSON-RPC devnet (LiteSVM)")
    parser.add_argument("--host", default=c.DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=c.DEFAULT_PORT)
    parser.add_argument("--slot-ms", type=_positive, default=c.DEFAULT_SLOT_MS)
    parser.add_argument("--finality-slots", type=_positive, default=c.DEFAULT_FINALITY_SLOTS)
    parser.add_argument("--kzte-decimals", type=_decimals, default=c.DEFAULT_KZTE_DECIMALS)
    parser.add_argument("--state-dir", type=Path, default=Path(".data/solana-devnet"))
    parser.add_argument("--log-level", default="info",
                        choices=("debug", "info", "warning", "error"))
    args = parser.parse_args(argv)
    configure_logging("console", args.log_level)
    return DevnetConfig(
        host=args.host, port=args.port, slot_ms=args.slot_ms,
        finality_slots=args.finality_slots, kzte_decimals=args.kzte_decimals,
        state_dir=args.state_dir.absolute(),
    )


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_args(argv)
    state_file = reset_state_dir(config)
    get_logger(__name__).info(
        "solana_devnet_starting", rpc_url=config.rpc_url, slot_ms=config.slot_ms,
        finality_slots=config.finality_slots, state_file=str(state_file),
    )
    web.run_app(create_app(config), host=config.host, port=config.port, print=None,
                access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
