"""`python -m gateway run`: everything on embedded defaults, in one process (dev entry only).

Starts the embedded database (unless DATABASE_URL is set), migrates it, brings the local
devnets up, funds the refund hot wallets there, seeds the demo merchant and a first admin
(when there is none) and serves the app (gateway.run). The banner is printed once the server
listens, so every URL in it already answers when it appears.
"""

from __future__ import annotations

import argparse
import asyncio

from gateway.admin.first_admin import seed_first_admin
from gateway.config import Settings
from gateway.devnet.refund_wallets import refund_wallets_startup
from gateway.devnet.startup import devnet_startup
from gateway.merchants.demo import seed_demo
from gateway.run import banner, prepare, serve


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("run", help="start database, devnets and the gateway")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    steps = (devnet_startup, refund_wallets_startup, seed_demo, seed_first_admin)
    text = banner(settings, asyncio.run(prepare(settings, steps)))
    return serve(settings, lambda: print(text, flush=True))
