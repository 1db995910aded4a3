"""Connection type shared by every `queries.py` (a plain connection or one from a pool), and
the one query every domain shares: the database's clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Conn: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"

# now() is the transaction's start: the same instant the rows written in it get by default.
SELECT_NOW = "SELECT now()"


async def db_now(conn: Conn) -> datetime:
    """The database's clock (the current transaction's start), the one time every rule uses."""
    now: datetime = await conn.fetchval(SELECT_NOW)
    return now
