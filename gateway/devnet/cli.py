"""`python -m gateway devnet up|down|status|reset|pay <uri>`.

`pay` is the shopper wallet simulator: `ethereum:` URIs (EIP-681) are paid on the BNB Chain
devnet, `solana:` URIs (Solana Pay) on the Solana devnet. A URI the simulator refuses ends
the command with one line and exit status 2; other failures exit 1.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from decimal import Decimal, InvalidOperation

from gateway.config import Settings
from gateway.devnet import bsc
from gateway.devnet.errors import InvalidPaymentUri
from gateway.devnet.orchestrator import DevnetConfig, DevnetStatus, down, reset, status, up

EXIT_BAD_URI = 2
EXIT_NOT_RUNNING = 3


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a decimal amount: {text!r}") from None
    if not value.is_finite() or value <= 0 or "e" in text.lower():
        raise argparse.ArgumentTypeError(f"amount must be a positive plain decimal: {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seconds(text: str) -> float:  # float-ok
    try:
        value = float(text)  # float-ok
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"must be between 0 and 86400, got {text}")
    return value


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("devnet", help="local BNB Chain and Solana devnets, wallet simulator")
    actions = parser.add_subparsers(dest="devnet_action", required=True)
    for name, text in (("up", "start the devnets in the background"),
                       ("down", "stop the devnets"),
                       ("status", "report whether the devnets run (exit 3 if not)"),
                       ("reset", "restart the devnets from a fresh chain state")):
        actions.add_parser(name, help=text).set_defaults(func=handle)
    pay = actions.add_parser("pay", help="pay an EIP-681 or Solana Pay URI from a test wallet")
    pay.add_argument("uri")
    pay.add_argument("--amount", type=_decimal, help="pay this amount (asset units) instead")
    pay.add_argument("--split", type=_positive_int, default=1, help="send N transfers")
    pay.add_argument("--after", type=_seconds, default=0.0, help="wait SECONDS first")
    pay.add_argument("--wallet", type=int, default=0, help="test wallet number (0-based)")
    pay.add_argument("--drop-reference", action="store_true",
                     help="Solana only: leave the reference keys out, as some wallets do")
    pay.set_defaults(func=handle)


def _print_status(result: DevnetStatus) -> None:
    for chain in result.chains:
        state = "running" if chain.running else "stopped"
        where = f" {chain.url}" if chain.url else ""
        pid = f" pid {chain.pid}" if chain.pid else ""
        print(f"{chain.name:<7} {state}{where}{pid}  {chain.detail}".rstrip())


def _print_up(result: DevnetStatus) -> None:
    _print_status(result)
    if result.url(bsc.PROCESS_NAME):
        tokens = ", ".join(f"{t.symbol} {t.address}" for t in bsc.TOKENS)
        print(f"bsc tokens: {tokens}")


def handle(args: argparse.Namespace, settings: Settings) -> int:
    config = DevnetConfig.from_settings(settings)
    action = args.devnet_action
    if action == "up":
        _print_up(up(config))
    elif action == "down":
        stopped = down(config)
        print(f"stopped: {', '.join(stopped)}" if stopped else "no devnet was running")
    elif action == "status":
        result = status(config)
        _print_status(result)
        return 0 if result.all_running else EXIT_NOT_RUNNING
    elif action == "reset":
        _print_up(reset(config))
    elif action == "pay":
        return _pay(args, settings)
    return 0


def _pay(args: argparse.Namespace, settings: Settings) -> int:
    try:
        hashes = asyncio.run(_pay_async(args, settings))
    except InvalidPaymentUri as exc:
        print(f"invalid payment URI: {exc}", file=sys.stderr)
        return EXIT_BAD_URI
    for tx_hash in hashes:
        print(tx_hash)
    return 0


async def _pay_async(args: argparse.Namespace, settings: Settings) -> list[str]:
    uri: str = args.uri.strip()
    if uri.startswith("solana:"):
        # Imported here: the Solana simulator pulls in solders/solana-py, BNB payers need neither.
        from gateway.devnet.solana.wallet import pay_uri as pay_solana

        await asyncio.sleep(args.after)
        return await pay_solana(uri, rpc_url=settings.solana_rpc_url, amount=args.amount,
                                split=args.split, drop_reference=args.drop_reference,
                                wallet=args.wallet)
    if args.drop_reference:
        raise InvalidPaymentUri("--drop-reference applies to solana: URIs only")
    from gateway.devnet.bsc_wallet import pay_uri as pay_bsc

    return await pay_bsc(uri, rpc_url=settings.bsc_rpc_url, amount=args.amount,
                         split=args.split, wallet=args.wallet, after=args.after)
