"""The one `create_app()`: middleware, resources in `cleanup_ctx`, each domain's routes."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from gateway import portal
from gateway.appkeys import DB_POOL, SETTINGS
from gateway.config import Settings
from gateway.db.pool import create_pool, database_url
from gateway.http.middleware import error_middleware

# Each entry is "module:function" taking the app; a domain adds its line here. Setup functions
# add routes and, for background work (watchers, webhook delivery), their own cleanup_ctx.
DOMAIN_SETUPS: tuple[str, ...] = (
    "gateway.health:setup",
    "gateway.ledger_tasks:setup",
    "gateway.rates:setup",
    "gateway.http.api:setup",
    "gateway.invoices.routes:setup",
    "gateway.invoices.qr:setup",
    "gateway.openapi:setup",
    "gateway.live:setup",
    "gateway.checkout:setup",
    "gateway.webhooks:setup",
    "gateway.settlement_admin:setup",
    "gateway.admin:setup",
    "gateway.chains.runner:setup",
)


async def _db_pool_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    pool = await create_pool(database_url(settings), max_size=settings.db_pool_size)
    app[DB_POOL] = pool
    yield
    await pool.close()


def _load(spec: str) -> Callable[[web.Application], None]:
    module_name, _, func_name = spec.partition(":")
    func: Callable[[web.Application], None] = getattr(
        importlib.import_module(module_name), func_name
    )
    return func


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        middlewares=[error_middleware], client_max_size=settings.max_body_bytes
    )
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_db_pool_ctx)
    for spec in DOMAIN_SETUPS:
        _load(spec)(app)
    portal.setup(app)
    return app
