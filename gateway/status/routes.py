"""HTTP of chain status: `GET /v1/status` (public: no API key, nothing secret in it)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from gateway.appkeys import DB_POOL, SETTINGS
from gateway.config import KNOWN_CHAINS
from gateway.status import service

STATUS_CACHE = web.AppKey("chain_status_cache", service.StatusCache)

routes = web.RouteTableDef()


def lag_limit(app: web.Application) -> timedelta:
    return timedelta(seconds=float(app[SETTINGS].chains.lag_limit))  # float-ok


@routes.get("/v1/status")
async def status(request: web.Request) -> web.Response:
    async with request.app[DB_POOL].acquire() as conn:
        states = await service.current_states(conn, KNOWN_CHAINS, lag_limit(request.app))
    return web.json_response({"chains": {c: s.as_json() for c, s in states.items()}},
                             headers={"Cache-Control": "no-store"})


def setup(app: web.Application) -> None:
    app[STATUS_CACHE] = service.StatusCache(KNOWN_CHAINS, lag_limit(app))
    app.router.add_routes(routes)
