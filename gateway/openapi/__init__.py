"""The OpenAPI 3.1 document of the merchant API, served at `GET /v1/openapi.json`.

Domains contribute their /v1 paths and component schemas through `register_paths(paths,
schemas)` (call it from the domain's `setup(app)`; registering the same content again is a
no-op). The builder adds what every operation shares, so domains write only their own parts:
the bearer security requirement, the `Idempotency-Key` header on every POST, and the error
responses in the one error shape (`#/components/schemas/Error`) for 400/401/404/409/413/422/
429/500/503. Schemas refer to each other as `#/components/schemas/<Name>`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from gateway.appkeys import SETTINGS
from gateway.errors import GatewayError
from gateway.openapi.common import COMMON_SCHEMAS, ERROR_RESPONSES, IDEMPOTENCY_HEADER, NO_NUL
from gateway.openapi.invoices import PATHS, SCHEMAS
from gateway.status.openapi import PATHS as STATUS_PATHS
from gateway.status.openapi import SCHEMAS as STATUS_SCHEMAS

__all__ = ["build_document", "register_paths", "setup"]

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
_PATHS: dict[str, dict[str, Any]] = {}
_SCHEMAS: dict[str, dict[str, Any]] = {}


class OpenApiConflict(GatewayError):
    """Two domains registered different content under one path+method or schema name."""


def _merge(target: dict[str, Any], name: str, value: dict[str, Any]) -> None:
    if name in target and target[name] != value:
        raise OpenApiConflict(f"OpenAPI entry {name!r} registered twice with different content")
    target[name] = copy.deepcopy(value)


def register_paths(paths: dict[str, dict[str, Any]],
                   schemas: dict[str, dict[str, Any]] | None = None) -> None:
    """Add path items (path -> {method -> operation}) and component schemas to the document."""
    for path, item in paths.items():
        methods = _PATHS.setdefault(path, {})
        for method, operation in item.items():
            _merge(methods, method, operation)
    for name, schema in (schemas or {}).items():
        _merge(_SCHEMAS, name, schema)


def _operation(method: str, operation: dict[str, Any], public: bool) -> dict[str, Any]:
    op = copy.deepcopy(operation)
    if method == "post" and not public:
        op["parameters"] = [{"$ref": "#/components/parameters/IdempotencyKey"},
                            *op.get("parameters", [])]
    responses = op.setdefault("responses", {})
    for status, response in ERROR_RESPONSES.items():
        if status == "401" and public:
            continue
        responses.setdefault(status, response)
    if public:
        op["security"] = []
    return op


def _no_nul(schema: dict[str, Any]) -> None:
    """Say on every free text schema what every request check refuses: a NUL (PostgreSQL
    cannot store it). Free text: a string with no pattern, enum, const or format of its own."""
    types = schema.get("type")
    is_text = types == "string" or (isinstance(types, list) and "string" in types)
    if is_text and not {"pattern", "enum", "const", "format"} & schema.keys():
        schema["pattern"] = NO_NUL
    if isinstance(schema.get("propertyNames"), dict):
        schema["propertyNames"].setdefault("pattern", NO_NUL)
    children = [*schema.get("properties", {}).values(), *schema.get("anyOf", []),
                *schema.get("oneOf", []), *schema.get("allOf", []),
                *(schema[key] for key in ("items", "additionalProperties")
                  if isinstance(schema.get(key), dict))]
    for child in children:
        _no_nul(child)


def _null_is_absent(body: dict[str, Any]) -> None:
    """An optional body field sent as null is read as left out (`body.get(name) is None`)."""
    for name, schema in body.get("properties", {}).items():
        if name in body.get("required", ()) or "type" not in schema:
            continue
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        schema["type"] = list(dict.fromkeys([*types, "null"]))
        if "enum" in schema:
            schema["enum"] = list(dict.fromkeys([*schema["enum"], None]))


def _request_bodies(paths: dict[str, Any], schemas: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema of every request body (a $ref: its component)."""
    found = []
    for item in paths.values():
        for op in item.values():
            for media in op.get("requestBody", {}).get("content", {}).values():
                ref = media["schema"].get("$ref")
                found.append(schemas[ref.rsplit("/", 1)[1]] if ref else media["schema"])
    return found


def _request_schemas(paths: dict[str, Any], schemas: dict[str, Any]) -> list[dict[str, Any]]:
    """The schemas of every parameter and request body."""
    parameters = [p["schema"] for item in paths.values() for op in item.values()
                  for p in op.get("parameters", []) if "schema" in p]
    return [*parameters, *_request_bodies(paths, schemas)]


def _set_maxima(schemas: dict[str, Any], maxima: Mapping[str, Mapping[str, int]]) -> None:
    for name, properties in maxima.items():
        for prop, top in properties.items():
            schemas[name]["properties"][prop]["maximum"] = top


def build_document(public_url: str,
                   maxima: Mapping[str, Mapping[str, int]] | None = None) -> dict[str, Any]:
    """The document; `maxima` (schema -> property -> maximum) adds the bounds that are
    settings, not constants."""
    paths = {
        path: {
            method: _operation(method, op, op.get("x-public", False))
            for method, op in sorted(item.items())
        }
        for path, item in sorted(_PATHS.items())
    }
    schemas = {**copy.deepcopy(COMMON_SCHEMAS), **copy.deepcopy(_SCHEMAS)}
    _set_maxima(schemas, maxima or {})
    for body in _request_bodies(paths, schemas):
        _null_is_absent(body)
    for schema in _request_schemas(paths, schemas):
        _no_nul(schema)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "CryptoCity Pay merchant API",
            "version": API_VERSION,
            "description": "Price in tenge, get paid in crypto. See docs/api.md.",
        },
        "servers": [{"url": public_url}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "An API key: `Authorization: Bearer ccp_live_…` "
                                              "(`ccp_test_…`: test mode; a key sees and acts "
                                              "on objects of its own mode only)"},
            },
            "parameters": {"IdempotencyKey": IDEMPOTENCY_HEADER},
            "schemas": schemas,
        },
    }


async def openapi_json(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    return web.json_response(build_document(settings.public_url, maxima={
        "CreateInvoiceRequest": {"amount": settings.invoice_max_amount,
                                 "expires_in": settings.invoice_max_expires_in}}))


def setup(app: web.Application) -> None:
    register_paths(PATHS, SCHEMAS)
    register_paths(STATUS_PATHS, STATUS_SCHEMAS)
    register_paths({"/v1/openapi.json": {"get": {
        "operationId": "getOpenApi", "summary": "This document", "x-public": True,
        "responses": {"200": {"description": "The OpenAPI 3.1 document",
                              "content": {"application/json": {"schema": {"type": "object"}}}}},
    }}})
    app.router.add_get("/v1/openapi.json", openapi_json)
