"""Live status rules: the invoice snapshot a stream starts with, and which events it owes.

The snapshot and the list of the invoice's events already reflected in it are read in one
REPEATABLE READ transaction. Every transition writes its event in the same transaction as the
invoice row (the outbox), so the two are consistent: an event is either in the snapshot's list
(already reflected, never re-sent as new) or arrives later through NOTIFY.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import asyncpg

from gateway.errors import NotFound
from gateway.events import queries
from gateway.events.objects import resolve_urls
from gateway.invoices import queries as invoice_queries
from gateway.invoices.models import Invoice, PaymentOption
from gateway.invoices.payments import load_payments
from gateway.invoices.serializers import invoice_object
from settlement.db import Conn


@dataclass(frozen=True)
class Snapshot:
    invoice: dict[str, Any]
    event_ids: list[str]

    @property
    def latest_event_id(self) -> str | None:
        return self.event_ids[-1] if self.event_ids else None


@dataclass(frozen=True)
class LiveEvent:
    id: str
    type: str
    data: dict[str, Any]

    @classmethod
    def from_row(cls, row: asyncpg.Record, public_url: str) -> LiveEvent:
        data = resolve_urls(json.loads(row["data_json"]), public_url)
        return cls(id=row["id"], type=row["type"], data=data)


async def load_snapshot(
    conn: Conn, invoice_id: str, merchant_id: str | None, public_url: str, *,
    livemode: bool | None = None,
) -> Snapshot:
    """The invoice as the API shows it; `merchant_id=None` for the public stream; with
    `livemode` an invoice of the other mode is missing."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        if merchant_id is None:
            row = await invoice_queries.select_invoice_any_merchant(conn, invoice_id)
        else:
            row = await invoice_queries.select_invoice(conn, invoice_id, merchant_id,
                                                       livemode=livemode)
        if row is None:
            raise NotFound(f"No such invoice: {invoice_id}", param="id")
        options = tuple(PaymentOption.from_row(r)
                        for r in await invoice_queries.select_options(conn, [invoice_id]))
        events = await queries.select_invoice_events(conn, invoice_id)
        loaded = await load_payments(conn, [Invoice.from_row(row, options)])
    invoice = invoice_object(loaded[0], public_url)
    return Snapshot(invoice, [e["id"] for e in events])


async def events_after(conn: Conn, invoice_id: str, last_event_id: str,
                       public_url: str) -> list[LiveEvent]:
    """What a client that saw `last_event_id` missed (nothing for a foreign/unknown id)."""
    rows = await queries.select_events_after(conn, invoice_id, last_event_id)
    return [LiveEvent.from_row(r, public_url) for r in rows]


async def unsent_events(conn: Conn, invoice_id: str, sent: set[str],
                        public_url: str) -> list[LiveEvent]:
    """The invoice's events not yet sent, oldest first.

    Comparing ids (not "newer than the last one") also catches an event whose transaction
    committed after a later-created one.
    """
    rows = await queries.select_invoice_events(conn, invoice_id)
    return [LiveEvent.from_row(r, public_url) for r in rows if r["id"] not in sent]
