"""The OpenAPI paths of the live status streams (registered by `gateway.live.setup`)."""

from __future__ import annotations

from typing import Any

_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}

LIVE_PATHS: dict[str, dict[str, Any]] = {
    "/v1/invoices/{id}/events": {
        "get": {
            "operationId": "streamInvoiceEvents",
            "summary": "Server-Sent Events: the invoice snapshot, then one event per change",
            "description": "Event `invoice` carries the snapshot (with `amount_remaining` "
                           "per payment option); then events named by type with `id:` = "
                           "event id. Send `Last-Event-ID` to replay newer events.",
            "parameters": [_ID, {"name": "Last-Event-ID", "in": "header", "required": False,
                                 "schema": {"type": "string"}}],
            "responses": {"200": {"description": "An event stream",
                                  "content": {"text/event-stream": {
                                      "schema": {"type": "string"}}}}},
        },
    },
}
