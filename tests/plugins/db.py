"""Database fixtures: a real PostgreSQL for every test that touches storage.

`DATABASE_URL` when given (a fresh database is created on that server), else an embedded
cluster in a short temp dir (unix socket paths are limited to ~100 bytes).

Helpers for tests and benchmarks that need a database of their own: `pg_server()` (that
server), `fresh_database(server_url, prefix)` (a new migrated database on it) and
`database_pool(url)` (a pool closed on exit).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from gateway.db.embedded import EmbeddedCluster
from gateway.db.migrate import migrate
from gateway.db.pool import create_pool
from settlement.db import Conn


@contextlib.contextmanager
def pg_server(prefix: str = "ccp-") -> Iterator[str]:
    """A maintenance DSN (database `postgres`) on a server we may create databases on:
    DATABASE_URL's, else an embedded cluster in a new temp dir (stopped and removed after)."""
    given = os.environ.get("DATABASE_URL")
    if given:
        yield given
        return
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    cluster = EmbeddedCluster(tmp)
    cluster.start()
    try:
        yield cluster.url("postgres")
    finally:
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    with pg_server() as url:
        yield url


async def create_database(server_url: str, name: str) -> str:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    if "/postgres?" in server_url:
        return server_url.replace("/postgres?", f"/{name}?", 1)
    base, sep, query = server_url.partition("?")
    return base.rsplit("/", 1)[0] + f"/{name}" + (sep + query if sep else "")


async def fresh_database(server_url: str, prefix: str) -> str:
    """A new database `<prefix>_<random>` on `server_url`, migrated; its URL."""
    url = await create_database(server_url, f"{prefix}_{secrets.token_hex(4)}")
    await migrate(url)
    return url


@contextlib.asynccontextmanager
async def database_pool(url: str, **sizes: int) -> AsyncIterator[asyncpg.Pool]:
    """A pool on `url` (gateway.db.pool.create_pool; `sizes`: its min_size/max_size), closed
    (waiting at most 10 s) on the way out."""
    pool = await create_pool(url, **sizes)
    try:
        yield pool
    finally:
        await asyncio.wait_for(pool.close(), 10)


@pytest.fixture(scope="session")
async def database_url(pg_server_url: str) -> str:
    """A fresh, migrated database for this test session."""
    return await fresh_database(pg_server_url, "ccp_test")


@pytest.fixture(scope="session")
async def db_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with database_pool(database_url, max_size=40) as pool:
        yield pool


@pytest.fixture
async def conn(db_pool: asyncpg.Pool) -> AsyncIterator[Conn]:
    async with db_pool.acquire() as connection:
        yield connection
