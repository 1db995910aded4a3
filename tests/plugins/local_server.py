"""A throwaway aiohttp server on a loopback port: fake nodes, rate feeds, webhook receivers.

    async with serve(app) as url: ...             # a free port the OS picks
    async with serve(app, port=known) as url: ... # a port chosen before (URLs built earlier)
    async with started(app): ...                  # startup/cleanup hooks only, no socket
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web


@asynccontextmanager
async def serve(app: web.Application, *, port: int = 0,
                host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Run `app` on `host`:`port` (0: any free port) and yield its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        yield f"http://{host}:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def started(app: web.Application) -> AsyncIterator[web.Application]:
    """`app` with its startup hooks run (nothing served); its cleanup hooks run on exit."""
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        yield app
    finally:
        await runner.cleanup()
