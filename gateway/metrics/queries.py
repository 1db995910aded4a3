"""SQL read at scrape time. All but the stranded sum read a partial index or a one-row-per-
chain table; the stranded sum reads the unmatched_payments view (a scan of chain_transfers
by disposition, no index yet), which is why scrapes are cached (service.SCRAPE_CACHE_SECONDS)."""

from __future__ import annotations

import asyncpg

from settlement.db import Conn

Row = asyncpg.Record

SELECT_CHAIN_COUNTERS = "SELECT chain, transfers, reorgs, errors FROM chain_status"
# invoices_open_expiry covers exactly these statuses.
SELECT_OPEN_INVOICES = """
SELECT status, count(*) AS n FROM invoices WHERE status IN ('new', 'processing')
GROUP BY status
"""
# webhook_deliveries_due covers the pending rows.
SELECT_WEBHOOK_QUEUE = """
SELECT count(*) AS depth,
       coalesce(extract(epoch FROM now() - min(next_attempt_at)), 0)::bigint AS oldest_due_s
FROM webhook_deliveries WHERE status = 'pending'
"""
# Money that reached us and is not part of a sale (unmatched_payments, 0030), by asset.
SELECT_STRANDED = """
SELECT asset, sum(amount) AS units FROM unmatched_payments GROUP BY asset
"""

# Refunds the sender holds back because the refund wallet cannot pay them (docs/refunds.md).
SELECT_REFUNDS_WAITING_FOR_FUNDS = """
SELECT chain, count(*) AS n FROM refunds
 WHERE status IN ('sending', 'sent') AND pending_reason = 'insufficient_funds'
 GROUP BY chain
"""


async def chain_counters(conn: Conn) -> list[Row]:
    return list(await conn.fetch(SELECT_CHAIN_COUNTERS))


async def open_invoices(conn: Conn) -> list[Row]:
    return list(await conn.fetch(SELECT_OPEN_INVOICES))


async def webhook_queue(conn: Conn) -> Row:
    row: Row | None = await conn.fetchrow(SELECT_WEBHOOK_QUEUE)
    assert row is not None  # an aggregate without GROUP BY always answers one row
    return row


async def stranded(conn: Conn) -> list[Row]:
    return list(await conn.fetch(SELECT_STRANDED))


async def refunds_waiting_for_funds(conn: Conn) -> list[Row]:
    return list(await conn.fetch(SELECT_REFUNDS_WAITING_FOR_FUNDS))
