"""HTTP of metrics: `GET /metrics` (Prometheus text format) and the request middleware.

Like /healthz it is not under /v1 and needs no key: expose it to the scraper only (a network
policy or the reverse proxy), as is usual for Prometheus endpoints.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from gateway.appkeys import DB_POOL, SETTINGS
from gateway.config import KNOWN_CHAINS
from gateway.metrics.http import metrics_middleware
from gateway.metrics.instruments import PROCESS_INSTRUMENTS
from gateway.metrics.service import DatabaseCollector

REGISTRY = web.AppKey("metrics_registry", CollectorRegistry)
COLLECTOR = web.AppKey("metrics_collector", DatabaseCollector)

routes = web.RouteTableDef()


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    async with request.app[DB_POOL].acquire() as conn:
        await request.app[COLLECTOR].refresh(conn)
    body = generate_latest(request.app[REGISTRY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def setup(app: web.Application) -> None:
    registry = CollectorRegistry()
    for instrument in PROCESS_INSTRUMENTS:
        registry.register(instrument)
    lag_limit = timedelta(seconds=float(app[SETTINGS].chains.lag_limit))  # float-ok
    collector = DatabaseCollector(KNOWN_CHAINS, lag_limit)
    registry.register(collector)
    app[REGISTRY], app[COLLECTOR] = registry, collector
    app.middlewares.insert(0, metrics_middleware)
    app.router.add_routes(routes)
