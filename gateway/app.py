"""The one `create_app()`: middleware, resources in `cleanup_ctx`, each domain's routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiohttp import web

from gateway import (
    admin,
    checkout,
    health,
    ledger_tasks,
    live,
    metrics,
    openapi,
    pipeline,
    portal,
    rates,
    status,
    webhooks,
)
from gateway.appkeys import DB_POOL, SETTINGS
from gateway.config import Settings
from gateway.db.pool import create_pool, database_url
from gateway.http import api
from gateway.http.middleware import error_middleware
from gateway.http.public_limits import public_throttle_middleware, setup_public_limits
from gateway.http.security import setup_transport_security
from gateway.http.validation import input_middleware
from gateway.invoices import qr
from gateway.invoices import routes as invoice_routes
from gateway.lifecycle import routes as lifecycle_routes
from gateway.refunds import routes as refund_routes
from gateway.refunds.sending import wiring as refund_sending

# Each takes the app; a domain adds its line here. Setup functions add routes and, for
# background work (watchers, webhook delivery), their own cleanup_ctx. Order matters:
# gateway.http.api before every domain serving /v1 routes.
DOMAIN_SETUPS: tuple[Callable[[web.Application], None], ...] = (
    metrics.setup,  # its middleware goes first: it times what the client gets
    health.setup,
    ledger_tasks.setup,
    rates.setup,
    api.setup,
    status.setup,
    invoice_routes.setup,
    lifecycle_routes.setup,
    refund_routes.setup,
    qr.setup,
    openapi.setup,
    live.setup,
    checkout.setup,
    webhooks.setup,
    admin.setup,
    portal.setup,
    pipeline.setup,
    refund_sending.setup,
)


async def _db_pool_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    pool = await create_pool(database_url(settings), max_size=settings.db_pool_size)
    app[DB_POOL] = pool
    yield
    await pool.close()


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        middlewares=[error_middleware, public_throttle_middleware, input_middleware],
        client_max_size=settings.max_body_bytes
    )
    app[SETTINGS] = settings
    setup_transport_security(app, settings.public_url)
    setup_public_limits(app)
    app.cleanup_ctx.append(_db_pool_ctx)
    for setup in DOMAIN_SETUPS:
        setup(app)
    return app
