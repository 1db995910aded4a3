"""The OpenAPI part of `GET /v1/status` (registered by gateway.status.routes.setup)."""

from __future__ import annotations

from typing import Any

_INT_OR_NULL: dict[str, Any] = {"type": ["integer", "null"], "minimum": -1}

CHAIN_STATUS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["state", "head", "scanned", "finalized", "lag_seconds", "reason", "since"],
    "additionalProperties": False,
    "properties": {
        "state": {"type": "string", "enum": ["live", "lagging", "halted"],
                  "description": "`halted`: a broken invariant (a fork below finality or "
                                 "below the kept history) stopped the watcher until an "
                                 "operator's `chains resync`; `lagging`: the watcher or its "
                                 "node is behind by more than CHAIN_LAG_LIMIT. While not "
                                 "`live`, new invoices do not offer the chain's assets."},
        "head": {**_INT_OR_NULL, "description": "The node's newest block (Solana: slot)"},
        "scanned": {**_INT_OR_NULL, "description": "Processed completely through here"},
        "finalized": {**_INT_OR_NULL, "description": "Treated as final through here"},
        "lag_seconds": {"type": ["integer", "null"], "minimum": 0,
                        "description": "Seconds since the watcher was last at the head"},
        "reason": {"type": ["string", "null"]},
        "since": {"type": ["string", "null"], "format": "date-time",
                  "description": "When the current non-live state began"},
    },
}

STATUS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["chains"],
    "additionalProperties": False,
    "properties": {
        "chains": {
            "type": "object",
            "required": ["bsc", "solana"],
            "additionalProperties": {"$ref": "#/components/schemas/ChainStatus"},
        },
    },
}

PATHS: dict[str, dict[str, Any]] = {"/v1/status": {"get": {
    "operationId": "getStatus",
    "summary": "Each chain's watcher state (public, no API key)",
    "x-public": True,
    "responses": {"200": {"description": "The chains' states",
                          "content": {"application/json": {
                              "schema": {"$ref": "#/components/schemas/Status"}}}}},
}}}

SCHEMAS: dict[str, dict[str, Any]] = {"Status": STATUS_SCHEMA,
                                      "ChainStatus": CHAIN_STATUS_SCHEMA}
