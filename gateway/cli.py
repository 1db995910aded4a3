"""The production command line: `python -m gateway.cli <command>` (devnet-free).

Each domain's command module exposes `register(subparsers)` and sets `func=handler` on its
parser, where `handler(args, settings) -> int` is the exit status. The dev-mode entry point
(`python -m gateway`, gateway/__main__.py) adds the devnet commands and `run` through
`extra_commands` and fills the devnet addresses into the settings through `adapt`.
Configuration errors end the process with one clear line naming the variable.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from gateway import pipeline, resync, run
from gateway.admin import cli as admin_cli
from gateway.admin.settlement import cli as settlement_cli
from gateway.config import Settings
from gateway.db import cli as db_cli
from gateway.errors import ConfigError, GatewayError
from gateway.log import configure_logging
from gateway.merchants import cli as merchants_cli
from gateway.portal import cli as portal_cli
from gateway.refunds.sending import cli as refunds_cli
from gateway.webhooks import cli as webhooks_cli
from settlement.errors import CryptoCityError

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]
AdaptSettings = Callable[[Settings], Settings]

COMMANDS: tuple[Register, ...] = (
    db_cli.register,
    run.register,
    merchants_cli.register,
    settlement_cli.register,
    admin_cli.register,
    portal_cli.register,
    webhooks_cli.register,
    pipeline.register,
    resync.register,
    refunds_cli.register,
)


def build_parser(extra_commands: Sequence[Register] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gateway", description="CryptoCity Pay")
    sub = parser.add_subparsers(dest="command", required=True)
    for register in (*COMMANDS, *extra_commands):
        register(sub)
    return parser


def _unchanged(settings: Settings) -> Settings:
    return settings


def main(argv: Sequence[str] | None = None, *, extra_commands: Sequence[Register] = (),
         adapt: AdaptSettings = _unchanged) -> int:
    parser = build_parser(extra_commands)
    args = parser.parse_args(argv)
    try:
        settings = adapt(Settings.from_env())
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


if __name__ == "__main__":
    raise SystemExit(main())
