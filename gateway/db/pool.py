"""The asyncpg connection pool and the database URL of this process."""

from __future__ import annotations

import json

import asyncpg

from gateway.config import Settings
from gateway.db.embedded import EmbeddedCluster


def database_url(settings: Settings) -> str:
    """`DATABASE_URL` when given, else the embedded cluster under the data directory."""
    if settings.database_url:
        return settings.database_url
    return EmbeddedCluster(settings.data_dir).url()


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb columns come back as Python objects and take them as parameters.
    await conn.set_type_codec(
        "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
    )


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 20) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection,
        command_timeout=60,
    )
    assert pool is not None
    return pool
