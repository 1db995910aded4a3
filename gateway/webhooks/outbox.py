"""The events outbox: `emit` records an event in the caller's transaction.

One call writes the `events` row, one pending `webhook_deliveries` row per enabled endpoint of
the merchant subscribed to the type, and a `pg_notify('ccp_events', ...)` that PostgreSQL
delivers only when the caller's transaction commits. So a state change, its event, its
deliveries and the live-status wake-up are all-or-nothing: a rolled-back transition leaves no
event behind and wakes no one.
"""

from __future__ import annotations

import json
from typing import Any, Final

from gateway.merchants.ids import new_id
from gateway.webhooks import queries
from gateway.webhooks.errors import UnknownEventType
from settlement.db import Conn

__all__ = ["API_VERSION", "EVENTS_CHANNEL", "EVENT_TYPES", "UnknownEventType", "emit"]

EVENT_TYPES: Final = (
    "invoice.created",
    "invoice.processing",
    "invoice.settled",
    "invoice.expired",
    "invoice.invalid",
    "invoice.paid_partial",
    "invoice.paid_late",
    "invoice.cancelled",
    "invoice.reverted",
)
# The version of the event payload shape; bumped when `data` changes incompatibly.
API_VERSION: Final = "2025-01-01"
EVENTS_CHANNEL: Final = "ccp_events"


def new_event_id() -> str:
    return new_id("evt")


def invoice_id_of(data: dict[str, Any]) -> str | None:
    """The invoice an event is about, when its data is an invoice object."""
    if data.get("object") == "invoice" and isinstance(data.get("id"), str):
        return str(data["id"])
    return None


async def emit(conn: Conn, *, merchant_id: str, type: str, data: dict[str, Any]) -> str:
    """Record event `type` with `data` (the full API object) for `merchant_id`; returns its id.

    Runs in the caller's transaction: call it inside the transaction that makes the change.
    """
    if type not in EVENT_TYPES:
        raise UnknownEventType(f"unknown event type {type!r}")
    event_id = new_event_id()
    invoice_id = invoice_id_of(data)
    notice = json.dumps(
        {"event_id": event_id, "type": type, "merchant_id": merchant_id,
         "invoice_id": invoice_id},
        separators=(",", ":"),
    )
    await queries.insert_event(
        conn,
        event_id=event_id,
        merchant_id=merchant_id,
        type=type,
        api_version=API_VERSION,
        invoice_id=invoice_id,
        data_json=json.dumps(data, separators=(",", ":")),
        notice=notice,
    )
    return event_id
