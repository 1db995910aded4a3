"""The OpenAPI paths and schemas of the live status streams (registered by `gateway.live.setup`)."""

from __future__ import annotations

from typing import Any

from gateway.events.outbox import EVENT_TYPES
from gateway.openapi.invoices import INVOICE, PAYMENT_OPTION

_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}

_DIGITS = {"type": "string", "pattern": "^[0-9]+$"}
_DECIMAL = {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$"}
# What every live event carries as `data`: the invoice object plus what is still owed
# (gateway.live.views.live_view), in total (tiyn) and per payment option (asset units).
LIVE_PAYMENT_OPTION: dict[str, Any] = {
    **PAYMENT_OPTION,
    "required": [*PAYMENT_OPTION["required"], "amount_remaining", "amount_remaining_units"],
    "properties": {
        **PAYMENT_OPTION["properties"],
        "amount_remaining": {**_DECIMAL, "description": "Still owed, in the asset's units"},
        "amount_remaining_units": {**_DIGITS, "description": "The same in base units"},
    },
}
LIVE_INVOICE: dict[str, Any] = {
    **INVOICE,
    "required": [*INVOICE["required"], "amount_remaining"],
    "properties": {
        **INVOICE["properties"],
        "amount_remaining": {"type": "integer", "minimum": 0, "description": "Tiyn still owed"},
        "payment_options": {"type": "array", "items": _ref("LivePaymentOption")},
    },
}
LIVE_SCHEMAS: dict[str, dict[str, Any]] = {
    "LiveInvoice": LIVE_INVOICE, "LivePaymentOption": LIVE_PAYMENT_OPTION,
}
# OpenAPI 3.1 cannot type the events of a text/event-stream; `x-sse-events` names each event
# and the schema of its JSON `data:` line (one line per event).
_SSE_EVENTS = {name: _ref("LiveInvoice") for name in ("invoice", *EVENT_TYPES)}

LIVE_PATHS: dict[str, dict[str, Any]] = {
    "/v1/invoices/{id}/events": {
        "get": {
            "operationId": "streamInvoiceEvents",
            "summary": "Server-Sent Events: the invoice snapshot, then one event per change",
            "description": "Event `invoice` carries the snapshot; then one event per change, "
                           "named by its type, with `id:` = event id. Every event's `data:` "
                           "is one line of JSON, a LiveInvoice (the invoice object with "
                           "`amount_remaining`, in total and per payment option); "
                           "`x-sse-events` maps event names to it. Comment lines are "
                           "heartbeats. Send `Last-Event-ID` to replay newer events.",
            "parameters": [_ID, {"name": "Last-Event-ID", "in": "header", "required": False,
                                 "schema": {"type": "string"}}],
            "responses": {"200": {"description": "An event stream",
                                  "content": {"text/event-stream": {
                                      "schema": {"type": "string"},
                                      "x-sse-events": _SSE_EVENTS}}}},
        },
    },
}
