"""What a chain watcher was doing when a test waited for a payment in vain.

`chain_report(url, pool, chain, logs)`: the app's GET /v1/status, the chain's chain_status
row, the database's advisory locks (the leader locks) with their sessions, and the chain's
recent log lines (events captured with structlog.testing.capture_logs,
which also reaches loggers bound before it started). A test that times out waiting for a
watcher appends it to its message, so a flaky failure says whether the watcher was stalled,
not the leader, lagging or halted.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Any

import aiohttp
import asyncpg

_RECENT_LINES = 40


async def _status_page(url: str) -> str:
    try:
        async with aiohttp.ClientSession() as http, http.get(
                f"{url}/v1/status", timeout=aiohttp.ClientTimeout(total=5)) as resp:
            return f"{resp.status} {await resp.text()}"
    except (aiohttp.ClientError, TimeoutError) as exc:
        return f"unreachable: {exc!r}"


_ADVISORY_LOCKS = """
SELECT l.objid, l.granted, a.pid, a.state, a.backend_start, a.state_change, a.query
FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.database = (SELECT oid FROM pg_database
                                                WHERE datname = current_database())
"""


async def _advisory_locks(pool: asyncpg.Pool) -> list[str]:
    """Who holds the advisory locks (the leader locks) of this database, and since when."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(_ADVISORY_LOCKS)
    return [repr(dict(row)) for row in rows]


async def _status_row(pool: asyncpg.Pool, chain: str) -> str:
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM chain_status WHERE chain = $1", chain)
    return "no row" if row is None else repr(dict(row))


def _lines(logs: Sequence[MutableMapping[str, Any]], chain: str) -> list[str]:
    own = [e for e in logs if any(chain in str(v) for v in e.values())]
    return [" ".join(f"{k}={v}" for k, v in e.items()) for e in own[-_RECENT_LINES:]]


async def chain_report(url: str, pool: asyncpg.Pool, chain: str,
                       logs: Sequence[MutableMapping[str, Any]]) -> str:
    """A few lines for an assertion message: the app's and the database's view of `chain`,
    then its last log lines."""
    lines = [f"GET /v1/status: {await _status_page(url)}",
             f"chain_status[{chain}]: {await _status_row(pool, chain)}",
             "advisory locks:", *await _advisory_locks(pool),
             f"last {chain} log lines:", *_lines(logs, chain)]
    return "\n".join(lines)
