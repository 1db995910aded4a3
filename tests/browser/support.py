"""Helpers of the checkout tests: create invoices over the API, move them like the lifecycle.

`advance()` stands in for the chain watchers where a test is about the page, not the chains:
it changes the invoice row and writes the matching event in one transaction through the
lifecycle's own guarded update (the one writer of invoice status) and the events outbox,
exactly the writes the lifecycle makes, so the live stream (LISTEN/NOTIFY) carries it to the
page. The paying test (test_checkout_paying.py) uses the real devnets and watchers instead.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from gateway.events.outbox import emit
from gateway.invoices import queries as invoice_queries
from gateway.invoices.models import Invoice, PaymentOption
from gateway.invoices.serializers import invoice_object
from gateway.invoices.states import InvoiceException, InvoiceStatus, transition
from gateway.lifecycle import queries as lifecycle_queries
from settlement.db import Conn
from tests.plugins.app import ApiClient


def invoice_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"amount": 150_000, "currency": "KZT", "order_id": "ORD-1",
                            "description": "2 coffees"}
    body.update(overrides)
    return body


async def create_invoice(client: ApiClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/v1/invoices", invoice_body(**overrides))
    assert response.status == 200, response.body
    body: dict[str, Any] = response.body
    return body


async def _invoice(conn: Conn, invoice_id: str) -> Invoice:
    row = await invoice_queries.select_invoice_any_merchant(conn, invoice_id)
    assert row is not None
    options = tuple(PaymentOption.from_row(o)
                    for o in await invoice_queries.select_options(conn, [invoice_id]))
    return Invoice.from_row(row, options)


async def advance(pool: asyncpg.Pool, invoice_id: str, event_type: str, public_url: str, *,
                  status: InvoiceStatus | None = None, amount_paid: int | None = None,
                  exception: InvoiceException | None = None) -> dict[str, Any]:
    """Set amount paid / status of an invoice and emit `event_type`; returns the new object."""
    async with pool.acquire() as conn, conn.transaction():
        current = await _invoice(conn, invoice_id)
        row = await lifecycle_queries.lock_invoice(conn, invoice_id)
        assert row is not None
        target = current.status if status is None else status
        if target is not current.status:
            transition(current.status, target)
        # A new amount paid comes with its own exception (or none), like the lifecycle's.
        kept = None if amount_paid is not None else row["exception"]
        await lifecycle_queries.update_invoice_state(
            conn, invoice_id, current.status.value, target.value,
            exception.value if exception else kept,
            row["amount_paid"] if amount_paid is None else amount_paid)
        data = invoice_object(await _invoice(conn, invoice_id), public_url)
        await emit(conn, merchant_id=current.merchant_id, type=event_type, data=data)
    return data
