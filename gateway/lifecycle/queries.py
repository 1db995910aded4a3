"""SQL of the payment lifecycle: the invoice lock, its guarded state update and the expiry /
monitoring sweep (transfers are written by gateway.transfers).

The state update is guarded by `WHERE status = $expected`: a writer that lost a race gets
None and nothing is overwritten (the caller holds the row lock, so that means a bug).
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from settlement.db import Conn

Row = asyncpg.Record

# NO KEY UPDATE, not UPDATE: a watcher's transaction has already stored its transfers, whose
# foreign key holds a key-share lock on the invoice; FOR UPDATE conflicts with that, so two
# chains' watchers paying one invoice at once would deadlock (FOR NO KEY UPDATE queues them).
LOCK_INVOICE = "SELECT * FROM invoices WHERE id = $1 FOR NO KEY UPDATE"
SELECT_NOW = "SELECT clock_timestamp()"
UPDATE_INVOICE_STATE = """
UPDATE invoices
SET status = $3, exception = $4, amount_paid = $5,
    status_changed_at = CASE WHEN status = $3 THEN status_changed_at ELSE now() END
WHERE id = $1 AND status = $2
RETURNING *
"""
# Open invoices whose expiry or monitoring window has passed (index invoices_open_expiry).
SELECT_DUE = """
SELECT id FROM invoices
WHERE status IN ('new', 'processing') AND expires_at <= $1
  AND (status = 'new' OR expires_at + monitoring_window <= $1)
ORDER BY expires_at
LIMIT $2
FOR UPDATE SKIP LOCKED
"""


async def lock_invoice(conn: Conn, invoice_id: str) -> Row | None:
    row: Row | None = await conn.fetchrow(LOCK_INVOICE, invoice_id)
    return row


async def select_now(conn: Conn) -> datetime:
    now: datetime = await conn.fetchval(SELECT_NOW)
    return now


async def update_invoice_state(conn: Conn, invoice_id: str, expected: str, target: str,
                               exception: str | None, amount_paid: int) -> Row | None:
    row: Row | None = await conn.fetchrow(UPDATE_INVOICE_STATE, invoice_id, expected, target,
                                          exception, amount_paid)
    return row


async def select_due(conn: Conn, now: datetime, limit: int) -> list[str]:
    return [r["id"] for r in await conn.fetch(SELECT_DUE, now, limit)]
