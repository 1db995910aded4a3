"""`serve` (the deployments' command) and what the dev entry's `run` is built from.

`prepare` starts the embedded database (unless DATABASE_URL is set), migrates it and runs the
startup steps it is handed (the dev entry hands it the devnets and the demo merchant; each
returns lines to print). The banner is printed once the server listens (and the watchers,
webhook worker and rate refresher have started), so every URL in it already answers.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from aiohttp import web

from gateway.app import create_app
from gateway.config import Settings
from gateway.db.embedded import EmbeddedCluster
from gateway.db.migrate import migrate
from gateway.db.pool import database_url, redacted
from gateway.log import get_logger
from gateway.merchants.demo import KEY_FILE

log = get_logger(__name__)

# `async def step(settings) -> list[str]`: lines for the banner.
StartupStep = Callable[[Settings], Awaitable[list[str]]]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = sub.add_parser(
        "serve", help="serve the gateway only (DATABASE_URL, migrated; for deployments)"
    )
    serve.set_defaults(func=handle_serve)


async def prepare(settings: Settings, steps: Sequence[StartupStep]) -> list[str]:
    if not settings.database_url:
        await asyncio.to_thread(EmbeddedCluster(settings.data_dir).start)
    await migrate(database_url(settings))
    # The banner is printed (and often logged): never the password.
    lines = [f"database:  {redacted(database_url(settings))}"]
    for step in steps:
        lines.extend(await step(settings))
    return lines


def cli_prefix() -> str:
    """How to call this CLI from the current directory (`.venv/bin/python -m gateway`)."""
    python = Path(sys.executable)
    try:
        relative = python.relative_to(Path.cwd())
    except ValueError:
        return "python -m gateway"  # not a venv under the checkout: whatever is on PATH
    return f"{relative} -m gateway"


def _try_lines(settings: Settings, cli: str) -> list[str]:
    key_file = settings.data_dir / KEY_FILE
    if not key_file.exists():
        return []
    return [
        "create an invoice, open its checkout_url, pay it from a devnet wallet:",
        f'  curl -s {settings.public_url}/v1/invoices '
        f'-H "Authorization: Bearer $(cat {key_file})" '
        '-H "Idempotency-Key: demo-$(date +%s)" -H "Content-Type: application/json" '
        "-d '{\"amount\": 150000}'",
        f"  {cli} devnet pay '<uri of a payment option>'",
        'walkthrough: README.md, "Quick start"',
    ]


def banner(settings: Settings, step_lines: list[str]) -> str:
    """The one block `make run` prints: where everything answers and how to try it."""
    url, cli = settings.public_url, cli_prefix()
    lines = [
        f"gateway:   {url}  (health: /healthz, readiness: /readyz)",
        f"OpenAPI:   {url}/v1/openapi.json",
        f"checkout:  {url}/pay/<invoice id>  (each invoice's checkout_url)",
        f"admin:     {url}/admin",
        f"  add an admin: {cli} admin create --username <name> --role admin",
        *step_lines,
        *_try_lines(settings, cli),
        # Devnets and the database outlive the gateway so the next `make run` starts in seconds.
        f"stop: Ctrl-C stops the gateway; then `{cli} devnet down` and `{cli} db stop`",
    ]
    rule = "-" * 78
    head = f"CryptoCity Pay is running ({settings.env})"
    return "\n".join([rule, head, *(f"  {line}" for line in lines), rule])


def handle_serve(args: argparse.Namespace, settings: Settings) -> int:
    return serve(settings, lambda: None)


def serve(settings: Settings, on_listening: Callable[[], None]) -> int:
    log.info("serving", host=settings.host, port=settings.port, env=settings.env)
    # run_app calls `print` once its sites listen, after the app's startup (cleanup_ctx) ran.
    web.run_app(create_app(settings), host=settings.host, port=settings.port,
                print=lambda *_: on_listening())
    return 0
