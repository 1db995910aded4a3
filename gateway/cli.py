"""`python -m gateway <command>`: one argparse tree; each domain registers its commands.

A command module exposes `register(subparsers)` and sets `func=handler` on its parser, where
`handler(args, settings) -> int` is the exit status. Configuration errors end the process with
one clear line naming the variable.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from gateway.config import Settings
from gateway.errors import ConfigError, GatewayError
from gateway.log import configure_logging
from settlement.errors import CryptoCityError

COMMAND_MODULES: tuple[str, ...] = (
    "gateway.db.cli",
    "gateway.run",
    "gateway.merchants.cli",
    "gateway.settlement_admin.cli",
    "gateway.admin.cli",
    "gateway.portal.cli",
    "gateway.devnet.cli",
    "gateway.webhooks.cli",
    "gateway.chains.runner",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gateway", description="CryptoCity Pay")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_format, settings.log_level)
    try:
        status: int = args.func(args, settings)
    except GatewayError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except CryptoCityError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return status
