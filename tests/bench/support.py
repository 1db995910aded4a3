"""What the benchmarks share: a database server, fresh databases, a private Solana devnet.

    async with bench_database("ledger_bench") as url: ...    # one fresh migrated database
    async with bench_server() as server: ...                  # several, via fresh_database()

The server is DATABASE_URL's when set, else an embedded cluster in a temp dir started for the
run and removed after; the same rules as the test fixtures (tests/plugins/db.py), whose
helpers these are built on.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from tests.plugins.db import fresh_database, pg_server
from tests.plugins.solana_devnet import SolanaDevnet, start_solana_devnet


@asynccontextmanager
async def bench_server() -> AsyncIterator[str]:
    """A maintenance DSN on DATABASE_URL's server or on a temporary embedded cluster."""
    server = pg_server("ccp-bench-")
    # Starting and stopping a cluster blocks for seconds: keep the event loop free meanwhile.
    url = await asyncio.to_thread(server.__enter__)
    try:
        yield url
    finally:
        await asyncio.to_thread(server.__exit__, None, None, None)


@asynccontextmanager
async def bench_database(prefix: str = "ccp_bench") -> AsyncIterator[str]:
    """A fresh migrated database on DATABASE_URL's server or on a temporary embedded cluster."""
    async with bench_server() as server:
        yield await fresh_database(server, prefix)


@contextmanager
def temp_solana_devnet() -> Iterator[SolanaDevnet]:
    """A Solana devnet of the benchmark's own, its state in a temp dir removed after."""
    with tempfile.TemporaryDirectory(prefix="ccp-bench-") as tmp, \
            start_solana_devnet(Path(tmp) / "state") as devnet:
        yield devnet
