"""SQL of the checkout page: the invoice with its merchant's display name, and its options.

Both reads run in one read-only REPEATABLE READ transaction (the caller's), so the page never
mixes an invoice row with options or a payment state from another moment.
"""

from __future__ import annotations

import asyncpg

from gateway.invoices import queries as invoice_queries
from settlement.db import Conn

Row = asyncpg.Record

SELECT_CHECKOUT_INVOICE = """
SELECT i.*, m.name AS merchant_name
FROM invoices i JOIN merchants m ON m.id = i.merchant_id
WHERE i.id = $1
"""


async def select_checkout_invoice(conn: Conn, invoice_id: str) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_CHECKOUT_INVOICE, invoice_id)
    return row


async def select_options(conn: Conn, invoice_id: str) -> list[Row]:
    """The invoice's payment options in offer order (the invoices domain owns that SQL)."""
    return await invoice_queries.select_options(conn, [invoice_id])
