"""A database of the webhook tests' own.

Every gateway process runs a delivery worker on its database, and workers share the outbox
by design; the session-wide `app_server` of other tests would therefore claim deliveries made
here (with the production 10 s backoff), making retry timings in these tests unpredictable.
A separate database keeps the worker tests deterministic.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import cast

import asyncpg
import pytest

from tests.plugins.db import database_pool, fresh_database


@pytest.fixture(scope="session")
async def own_db_url(pg_server_url: str) -> str:
    return await fresh_database(pg_server_url, "ccp_webhooks")


@pytest.fixture(scope="session")
async def own_pool(own_db_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with database_pool(own_db_url, max_size=20) as pool:
        yield pool


@pytest.fixture
async def own_conn(own_pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    async with own_pool.acquire() as connection:
        # The pool's proxy forwards every Connection method; tests annotate the real type.
        yield cast(asyncpg.Connection, connection)
