"""`python -m gateway run`: everything on embedded defaults, in one process.

Starts the embedded database (unless DATABASE_URL is set), migrates it, runs each startup step
in STARTUP_STEPS (devnets, demo merchant, ...; each returns lines to print) and serves the app.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
from collections.abc import Awaitable, Callable

from aiohttp import web

from gateway.app import create_app
from gateway.config import Settings
from gateway.db.embedded import EmbeddedCluster
from gateway.db.migrate import migrate
from gateway.db.pool import database_url
from gateway.log import get_logger

log = get_logger(__name__)

# "module:function"; each is `async def step(settings) -> list[str]` (lines for the banner).
STARTUP_STEPS: tuple[str, ...] = (
    "gateway.devnet.startup:devnet_startup",
    "gateway.merchants.demo:seed_demo",
)

StartupStep = Callable[[Settings], Awaitable[list[str]]]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("run", help="start database, devnets and the gateway")
    parser.set_defaults(func=handle)
    serve = sub.add_parser(
        "serve", help="serve the gateway only (DATABASE_URL, migrated; for deployments)"
    )
    serve.set_defaults(func=handle_serve)


def _step(spec: str) -> StartupStep:
    module_name, _, func_name = spec.partition(":")
    step: StartupStep = getattr(importlib.import_module(module_name), func_name)
    return step


async def prepare(settings: Settings) -> list[str]:
    if not settings.database_url:
        await asyncio.to_thread(EmbeddedCluster(settings.data_dir).start)
    await migrate(database_url(settings))
    lines = [f"database:  {database_url(settings)}"]
    for spec in STARTUP_STEPS:
        lines.extend(await _step(spec)(settings))
    return lines


def handle(args: argparse.Namespace, settings: Settings) -> int:
    lines = asyncio.run(prepare(settings))
    banner = [
        "CryptoCity Pay is running",
        f"gateway:   {settings.public_url}  (health: {settings.public_url}/healthz)",
        *lines,
    ]
    print("\n".join(banner), flush=True)
    return handle_serve(args, settings)


def handle_serve(args: argparse.Namespace, settings: Settings) -> int:
    log.info("serving", host=settings.host, port=settings.port, env=settings.env)
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None)
    return 0
