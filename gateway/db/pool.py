"""The asyncpg connection pool and the database URL of this process.

Releasing a connection does not run asyncpg's reset query (`pg_advisory_unlock_all(); CLOSE
ALL; UNLISTEN *; RESET ALL`): that is one more round trip on every request, for state this
project never leaves on a pooled connection. asyncpg still rolls back a transaction left open
and drops the connection's Python listeners on release. Rule: session state (LISTEN, session
advisory locks, SET) lives on a dedicated `asyncpg.connect()` connection, as in the live hub,
the watched set, the watcher leader lock and the migrator; pooled connections use only
transaction-scoped locks and settings (`pg_advisory_xact_lock`, `SET LOCAL`).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from gateway.config import Settings
from gateway.db.embedded import EmbeddedCluster


def redacted(dsn: str) -> str:
    """The DSN with its password replaced by `***`, for banners and logs."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hostport}"))


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


async def _no_session_reset(conn: asyncpg.Connection) -> None:
    """The pool's release hook, replacing the reset query (see the module docstring)."""


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 20) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection,
        reset=_no_session_reset, command_timeout=60,
    )
    assert pool is not None
    return pool
