"""OpenAPI pieces shared by every /v1 operation: the error shape and its responses."""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["type", "code", "message", "param"],
            "additionalProperties": False,
            "properties": {
                "type": {"type": "string", "enum": [
                    "invalid_request_error", "authentication_error", "permission_error",
                    "rate_limit_error", "api_error"]},
                "code": {"type": "string", "examples": ["unknown_parameter"]},
                "message": {"type": "string"},
                "param": {"type": ["string", "null"]},
            },
        }
    },
}

# No NUL anywhere (gateway.http.validation refuses it in every request string).
NO_NUL = "^[^\\u0000]*$"

COMMON_SCHEMAS: dict[str, dict[str, Any]] = {"Error": ERROR_SCHEMA}

_ERRORS = {
    "400": "Invalid request: malformed JSON, wrong types, unknown or out-of-range parameters",
    "401": "Missing, malformed or revoked API key",
    "403": "The merchant may not do this (e.g. merchant_suspended)",
    "404": "No such resource (also for another merchant's ids, and for ids of the other mode: "
           "test or live)",
    "409": "Conflict: idempotency_key_in_use, or a state that forbids the operation",
    "413": "Request body larger than the limit",
    "422": "idempotency_key_reused: same Idempotency-Key, different request",
    "429": "Too many requests for this API key; see Retry-After",
    "500": "Internal error",
    "503": "A dependency is unavailable (e.g. rate_unavailable, naming the pair)",
}
ERROR_RESPONSES: dict[str, dict[str, Any]] = {
    status: {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        **({"headers": {"Retry-After": {"schema": {"type": "integer"},
                                        "description": "Seconds to wait"}}}
           if status == "429" else {}),
    }
    for status, text in _ERRORS.items()
}

IDEMPOTENCY_HEADER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Any unique string (1..255 printable ASCII characters), e.g. a UUID. The first successful "
        "response is saved for 24 h and replayed for the same key and body with "
        "`Idempotent-Replayed: true`; a different body gets 422 idempotency_key_reused and a "
        "concurrent duplicate 409 idempotency_key_in_use. Keys are per merchant and per mode: "
        "the same key under a test key and a live key is two requests."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255,
               "pattern": "^[\\x20-\\x7e]+$"},
}
