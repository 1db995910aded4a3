"""The events outbox: `emit` records an event in the caller's transaction.

One call writes the `events` row and a `pg_notify('ccp_events', ...)` that PostgreSQL delivers
only when the caller's transaction commits. So a state change, its event and the wake-up of
live status and webhook workers are all-or-nothing: a rolled-back transition leaves no event
behind and wakes no one.

The event's webhook deliveries (one per enabled endpoint of the merchant subscribed to the
type) are written after the commit by `fan_out`, which the delivery workers run when woken: a
merchant with many endpoints costs the writer's transaction nothing.

A writer that makes its change in one statement (invoice creation) writes the event in that
same statement instead: `pending_event` gives the ids and the notice, and its statement
(gateway.invoices.queries.CREATE_INVOICE) writes the same row as `emit` would; its notice
(the same) is sent after the commit (gateway.invoices.notices says why).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from gateway.events import queries
from gateway.events.errors import UnknownEventType
from gateway.merchants.ids import new_id
from settlement.db import Conn

__all__ = ["API_VERSION", "EVENTS_CHANNEL", "EVENT_TYPES", "FanOut", "PendingEvent",
           "UnknownEventType", "emit", "emit_once", "fan_out", "pending_event"]

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
    "invoice.payment_after_settlement",
    "refund.created",
    "refund.succeeded",
    "refund.failed",
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


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An event about to be written: its id, type and the NOTIFY payload announcing it."""

    id: str
    merchant_id: str
    type: str
    invoice_id: str | None
    notice: str
    api_version: str = API_VERSION


def pending_event(merchant_id: str, type: str, invoice_id: str | None, *,
                  watch: Mapping[str, str | None] | None = None) -> PendingEvent:
    """A new event id and its notice (`{event_id, type, merchant_id, invoice_id}`, plus
    `watch`, the keys a chain watcher matches payments by, when given: the watchers then add
    a new invoice without a query)."""
    if type not in EVENT_TYPES:
        raise UnknownEventType(f"unknown event type {type!r}")
    event_id = new_event_id()
    fields: dict[str, Any] = {"event_id": event_id, "type": type, "merchant_id": merchant_id,
                              "invoice_id": invoice_id}
    if watch is not None:
        fields["watch"] = dict(watch)
    notice = json.dumps(fields, separators=(",", ":"))
    return PendingEvent(event_id, merchant_id, type, invoice_id, notice)


def _row(merchant_id: str, type: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The new event's id and the columns `insert_event` / `insert_event_once` take."""
    event = pending_event(merchant_id, type, invoice_id_of(data))
    return event.id, {"event_id": event.id, "merchant_id": merchant_id, "type": type,
                      "api_version": event.api_version, "invoice_id": event.invoice_id,
                      "data_json": json.dumps(data, separators=(",", ":")),
                      "notice": event.notice}


async def emit(conn: Conn, *, merchant_id: str, type: str, data: dict[str, Any]) -> str:
    """Record event `type` with `data` (the full API object) for `merchant_id`; returns its id.

    Runs in the caller's transaction: call it inside the transaction that makes the change.
    """
    event_id, row = _row(merchant_id, type, data)
    await queries.insert_event(conn, **row)
    return event_id


async def emit_once(conn: Conn, *, merchant_id: str, type: str, data: dict[str, Any],
                    once_key: str) -> str | None:
    """Like `emit`, for an event announced once per fact: `once_key` names the fact, and an
    event already written under it (by any process, before or concurrently) makes this a
    no-op. The new event's id, or None when the fact was announced already."""
    event_id, row = _row(merchant_id, type, data)
    written = await queries.insert_event_once(conn, **row, once_key=once_key)
    return event_id if written else None


@dataclass(frozen=True, slots=True)
class FanOut:
    """What one `fan_out` call did: events taken and deliveries written for them."""

    events: int
    deliveries: int


async def fan_out(conn: Conn, *, limit: int) -> FanOut:
    """Write the pending deliveries of up to `limit` committed events, oldest first.

    Safe to run from any number of workers at once: each event is fanned out exactly once.
    """
    row = await queries.fan_out(conn, limit)
    return FanOut(events=int(row["events"]), deliveries=int(row["deliveries"]))
