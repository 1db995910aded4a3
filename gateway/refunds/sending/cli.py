"""`python -m gateway refunds ...`: the operator's side of refund sending.

    refunds unsigned <rfd_id>           print the transaction to sign offline
    refunds submit <rfd_id> <signed>    hand back the signed bytes (verified, then stored)
    refunds wallets                     the sending addresses (fund these)
    refunds sender                      run the sender as its own process (one active)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

import asyncpg

from gateway.config import Settings
from gateway.db.pool import create_pool, database_url
from gateway.errors import ApiError
from gateway.log import get_logger
from gateway.refunds.sending import offline
from gateway.refunds.sending.wiring import CHAINS, open_networks, run_sender, signers

log = get_logger(__name__)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("refunds", help="refund sending: offline signing, the sender")
    commands = parser.add_subparsers(dest="refunds_command", required=True)
    unsigned = commands.add_parser("unsigned", help="print a refund's unsigned transaction")
    unsigned.add_argument("refund_id")
    unsigned.set_defaults(func=handle_unsigned)
    submit = commands.add_parser("submit", help="submit a refund's signed transaction")
    submit.add_argument("refund_id")
    submit.add_argument("signed", help="hex (BNB Chain) or base64 (Solana)")
    submit.set_defaults(func=handle_submit)
    wallets = commands.add_parser("wallets", help="print the refund wallets' addresses")
    wallets.set_defaults(func=handle_wallets)
    sender = commands.add_parser("sender", help="run the refund sender (one is active)")
    sender.set_defaults(func=handle_sender)


async def _pool(settings: Settings) -> asyncpg.Pool:
    # The pool's connections carry the codecs the ledger and the events outbox rely on.
    return await create_pool(database_url(settings), min_size=1, max_size=1)


async def _unsigned(settings: Settings, refund_id: str) -> offline.UnsignedRefund:
    pool = await _pool(settings)
    try:
        async with pool.acquire() as conn, open_networks(settings) as chains:
            return await offline.unsigned_transaction(conn, refund_id, networks=chains)
    finally:
        await pool.close()


def _refused(exc: ApiError) -> int:
    """The API's refusal on stderr with its code (`blockhash_expired`, `signature_refused`,
    `not_awaiting_signature`), for scripts as much as for people."""
    print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
    return 1


def handle_unsigned(args: argparse.Namespace, settings: Settings) -> int:
    try:
        found = asyncio.run(_unsigned(settings, args.refund_id))
    except ApiError as exc:
        return _refused(exc)
    print(json.dumps(found.as_json(), indent=2))
    return 0


async def _submit(settings: Settings, refund_id: str, signed: str) -> str:
    pool = await _pool(settings)
    try:
        async with pool.acquire() as conn, open_networks(settings) as chains:
            refund = await offline.submit_signed(conn, refund_id, signed, networks=chains)
    finally:
        await pool.close()
    return refund.tx or ""


def handle_submit(args: argparse.Namespace, settings: Settings) -> int:
    try:
        tx = asyncio.run(_submit(settings, args.refund_id, args.signed))
    except ApiError as exc:
        return _refused(exc)
    print(f"accepted: {args.refund_id} will be broadcast as {tx}")
    return 0


def handle_wallets(args: argparse.Namespace, settings: Settings) -> int:
    keys = signers(settings)
    for chain in CHAINS:
        print(f"{chain}: {keys[chain].address} ({settings.refund_sending.signer})")
    return 0


async def _serve(settings: Settings) -> None:
    pool = await create_pool(database_url(settings), min_size=1, max_size=4)
    task = asyncio.ensure_future(run_sender(settings, pool))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    log.info("refund_sender_started", signer=settings.refund_sending.signer)
    try:
        await task
    except asyncio.CancelledError:
        log.info("refund_sender_stopped")
    finally:
        await pool.close()


def handle_sender(args: argparse.Namespace, settings: Settings) -> int:
    signers(settings)
    asyncio.run(_serve(settings))
    return 0
