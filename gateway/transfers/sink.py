"""The one fact sink: every watcher's facts are stored here, and the lifecycle applied, in
one transaction per batch (gateway.chains.facts.FactSink).

This is the only writer of chain_transfers' chain facts, chain_cursors and chain_blocks. What
happens to the invoices a batch touched is not this package's business: the composition
(gateway.pipeline) hands in `apply`, the lifecycle's entry point, so the money facts flow one
way (chains -> transfers -> lifecycle -> settlement) and no package imports back up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import asyncpg

from gateway.chains.facts import Cursor, Facts
from gateway.chains.models import BlockRef
from gateway.transfers import store
from settlement.db import Conn

# Applies the lifecycle to the named invoices inside the caller's transaction.
ApplyInvoices = Callable[[Conn, set[str]], Awaitable[object]]


class TransferSink:
    def __init__(self, pool: asyncpg.Pool, apply: ApplyInvoices) -> None:
        self.pool = pool
        self.apply = apply

    async def emit(self, facts: Facts) -> set[str]:
        async with self.pool.acquire() as conn, conn.transaction():
            touched = await store.store_facts(conn, facts)
            await self.apply(conn, touched)
        return touched

    async def cursor(self, name: str) -> Cursor | None:
        async with self.pool.acquire() as conn:
            return await store.load_cursor(conn, name)

    async def forget_cursor(self, name: str, expected: BlockRef) -> None:
        async with self.pool.acquire() as conn:
            await store.forget_cursor(conn, name, expected)

    async def block_hashes(self, cursor: str, lo: int, hi: int) -> dict[int, str]:
        async with self.pool.acquire() as conn:
            return await store.recent_hashes(conn, cursor, lo, hi)

    async def lowest_block(self, cursor: str) -> int | None:
        async with self.pool.acquire() as conn:
            return await store.lowest_kept(conn, cursor)

    async def open_transactions(self, chain: str, limit: int) -> list[tuple[str, int]]:
        async with self.pool.acquire() as conn:
            return await store.open_transactions(conn, chain, limit)

    async def invoices_by_reference(self, keys: Sequence[str]) -> dict[str, str]:
        async with self.pool.acquire() as conn:
            return await store.invoices_by_reference(conn, keys)
