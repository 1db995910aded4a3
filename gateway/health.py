"""`GET /healthz` (the process is up) and `GET /readyz` (database reachable, schema current).

/readyz is unauthenticated, so a failure answers a fixed text: driver messages can carry host
names, user names and paths. The exception itself goes to the log.
"""

from __future__ import annotations

import asyncio

import asyncpg
from aiohttp import web

from gateway.appkeys import DB_POOL
from gateway.db.migrate import pending
from gateway.errors import MigrationError
from gateway.log import get_logger

log = get_logger(__name__)

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    try:
        async with asyncio.timeout(2):
            async with request.app[DB_POOL].acquire() as conn:
                todo = await pending(conn)
    except (OSError, TimeoutError, asyncpg.PostgresError, MigrationError) as exc:
        log.warning("readiness_check_failed", error=repr(exc))
        return web.json_response(
            {"status": "unavailable", "database": "unreachable",
             "detail": "The database could not be reached; see the gateway log."}, status=503
        )
    if todo:
        return web.json_response(
            {"status": "unavailable", "database": "ok",
             "pending_migrations": [m.name for m in todo]},
            status=503,
        )
    return web.json_response({"status": "ok", "database": "ok", "migrations": "current"})


def setup(app: web.Application) -> None:
    app.router.add_routes(routes)
