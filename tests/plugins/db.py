"""Database fixtures: a real PostgreSQL for every test that touches storage.

`DATABASE_URL` when given (a fresh database is created on that server), else an embedded
cluster in a short temp dir (unix socket paths are limited to ~100 bytes).
"""

from __future__ import annotations

import asyncio
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


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A maintenance DSN (database `postgres`) on a server the tests may create databases on."""
    given = os.environ.get("DATABASE_URL")
    if given:
        yield given
        return
    tmp = Path(tempfile.mkdtemp(prefix="ccp-", dir="/tmp"))
    cluster = EmbeddedCluster(tmp)
    cluster.start()
    try:
        yield cluster.url("postgres")
    finally:
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


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


@pytest.fixture(scope="session")
async def database_url(pg_server_url: str) -> str:
    """A fresh, migrated database for this test session."""
    url = await create_database(pg_server_url, f"ccp_test_{secrets.token_hex(4)}")
    await migrate(url)
    return url


@pytest.fixture(scope="session")
async def db_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, max_size=40)
    yield pool
    await asyncio.wait_for(pool.close(), 10)


@pytest.fixture
async def conn(db_pool: asyncpg.Pool) -> AsyncIterator[Conn]:
    async with db_pool.acquire() as connection:
        yield connection
