"""OpenAPI paths and schemas of /v1/webhook_endpoints and /v1/events (see gateway.openapi)."""

from __future__ import annotations

from typing import Any

from gateway.events.outbox import EVENT_TYPES
from gateway.webhooks.service import MAX_DESCRIPTION
from gateway.webhooks.states import DeliveryStatus, EndpointStatus
from gateway.webhooks.urlguard import MAX_URL_LENGTH

_TIME = {"type": "string", "format": "date-time"}
_NULL_TIME = {"type": ["string", "null"], "format": "date-time"}
_EVENT_FILTER = {"type": "array", "minItems": 1,
                 "items": {"type": "string", "enum": [*EVENT_TYPES, "*"]}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _list(item: str) -> dict[str, Any]:
    return {"type": "object", "required": ["object", "url", "data", "has_more"],
            "properties": {"object": {"const": "list"}, "url": {"type": "string"},
                           "data": {"type": "array", "items": _ref(item)},
                           "has_more": {"type": "boolean"}}}


ENDPOINT: dict[str, Any] = {
    "type": "object",
    "required": ["id", "object", "livemode", "url", "enabled_events", "description", "status",
                 "created_at"],
    "properties": {
        "id": {"type": "string", "pattern": "^we_[A-Za-z0-9]+$"},
        "object": {"const": "webhook_endpoint"},
        "livemode": {"type": "boolean",
                     "description": "false: made with a ccp_test_ key; sent test events only "
                                    "(a live endpoint is sent live events only)"},
        "url": {"type": "string", "format": "uri"},
        "enabled_events": _EVENT_FILTER,
        "description": {"type": "string"},
        "status": {"type": "string", "enum": [s.value for s in EndpointStatus]},
        "created_at": _TIME,
        "secret": {"type": "string", "pattern": "^whsec_",
                   "description": "Signing secret; only in the answer that created it"},
    },
}
CREATE_ENDPOINT: dict[str, Any] = {
    "type": "object",
    "required": ["url", "enabled_events"],
    "additionalProperties": False,
    "properties": {
        "url": {"type": "string", "maxLength": MAX_URL_LENGTH,
                "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^\\u0000]+$",
                "description": "https outside dev; must not resolve to a private address"},
        "enabled_events": {**_EVENT_FILTER, "description": "Event types, or [\"*\"] for all"},
        "description": {"type": "string", "maxLength": MAX_DESCRIPTION},
    },
}
ATTEMPT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "attempt": {"type": "integer"}, "started_at": _TIME,
        "duration_ms": {"type": "integer"}, "status_code": {"type": ["integer", "null"]},
        "succeeded": {"type": "boolean"}, "error": {"type": ["string", "null"]},
        "response_excerpt": {"type": "string"},
    },
}
DELIVERY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"}, "object": {"const": "webhook_delivery"},
        "endpoint": {"type": "string"}, "url": {"type": "string"},
        "status": {"type": "string", "enum": [s.value for s in DeliveryStatus]},
        "attempt_count": {"type": "integer"}, "next_attempt_at": _NULL_TIME,
        "created_at": _TIME, "finished_at": _NULL_TIME,
        "attempts": {"type": "array", "items": _ref("WebhookAttempt")},
    },
}
EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["id", "object", "livemode", "type", "created", "api_version", "data"],
    "properties": {
        "id": {"type": "string", "pattern": "^evt_[A-Za-z0-9]+$"},
        "object": {"const": "event"},
        "livemode": {"type": "boolean",
                     "description": "The mode of the object the event is about (false: a test "
                                    "invoice or refund); only a key of that mode sees it"},
        "type": {"type": "string", "enum": list(EVENT_TYPES)},
        "created": _TIME,
        "api_version": {"type": "string"},
        "data": {"description": "The invoice object at the time of the event",
                 "type": "object"},
        "deliveries": {"type": "array", "items": _ref("WebhookDelivery"),
                       "description": "Only when retrieving one event"},
    },
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "WebhookEndpoint": ENDPOINT, "CreateWebhookEndpointRequest": CREATE_ENDPOINT,
    "WebhookEndpointList": _list("WebhookEndpoint"), "Event": EVENT,
    "EventList": _list("Event"), "WebhookDelivery": DELIVERY, "WebhookAttempt": ATTEMPT,
}


def _ok(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"200": {"description": description,
                    "content": {"application/json": {"schema": schema}}}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
_PAGE = [
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
           "Page size"),
    _query("starting_after", {"type": "string"}, "Id of the last item of the previous page"),
]
_REDELIVERY = {"type": "object", "properties": {
    "object": {"const": "redelivery"}, "event": {"type": "string"},
    "deliveries": {"type": "array", "items": {"type": "string"}}}}

PATHS: dict[str, dict[str, Any]] = {
    "/v1/webhook_endpoints": {
        "post": {"operationId": "createWebhookEndpoint",
                 "summary": "Register a URL for signed event notifications",
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": _ref("CreateWebhookEndpointRequest")}}},
                 "responses": _ok(_ref("WebhookEndpoint"), "The endpoint, with its secret")},
        "get": {"operationId": "listWebhookEndpoints", "summary": "List webhook endpoints",
                "parameters": _PAGE,
                "responses": _ok(_ref("WebhookEndpointList"), "A page of endpoints")},
    },
    "/v1/webhook_endpoints/{id}": {
        "get": {"operationId": "getWebhookEndpoint", "summary": "Retrieve an endpoint",
                "parameters": [_ID], "responses": _ok(_ref("WebhookEndpoint"), "The endpoint")},
        "delete": {"operationId": "deleteWebhookEndpoint",
                   "summary": "Delete an endpoint (its pending deliveries are cancelled)",
                   "parameters": [_ID],
                   "responses": _ok({"type": "object"}, "The deletion confirmation")},
    },
    "/v1/events": {
        "get": {"operationId": "listEvents", "summary": "List events, newest first",
                "parameters": [*_PAGE,
                               _query("type", {"type": "string", "enum": list(EVENT_TYPES)},
                                      "Only this event type"),
                               _query("invoice", {"type": "string"},
                                      "Only events of this invoice")],
                "responses": _ok(_ref("EventList"), "A page of events")},
    },
    "/v1/events/{id}": {
        "get": {"operationId": "getEvent",
                "summary": "Retrieve an event with its deliveries and attempts",
                "parameters": [_ID], "responses": _ok(_ref("Event"), "The event")},
    },
    "/v1/events/{id}/redeliver": {
        "post": {"operationId": "redeliverEvent",
                 "summary": "Queue the event again to every current endpoint, or one",
                 "parameters": [_ID],
                 "requestBody": {"required": False, "content": {"application/json": {
                     "schema": {"type": "object", "additionalProperties": False,
                                "properties": {"endpoint": {"type": "string"}}}}}},
                 "responses": _ok(_REDELIVERY, "The new delivery ids")},
    },
}
