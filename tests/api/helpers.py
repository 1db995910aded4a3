"""Shared helpers of the API tests: a valid invoice body and OpenAPI schema validation."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from gateway.openapi import build_document

OPENAPI_URI = "urn:ccp:openapi"


def invoice_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"amount": 150_000, "currency": "KZT", "order_id": "ORD-1",
                            "description": "2 coffees", "metadata": {"table": "7"}}
    body.update(overrides)
    return body


def validator(schema_name: str, document: dict[str, Any] | None = None) -> Draft202012Validator:
    """A validator of `#/components/schemas/<schema_name>` of the served OpenAPI document."""
    doc = document or build_document("http://127.0.0.1")
    registry: Registry[Any] = Registry().with_resource(
        OPENAPI_URI, Resource.from_contents(doc, default_specification=DRAFT202012)
    )
    schema = {"$ref": f"{OPENAPI_URI}#/components/schemas/{schema_name}"}
    return Draft202012Validator(schema, registry=registry)


def assert_valid(schema_name: str, instance: Any) -> None:
    validator(schema_name).validate(instance)


def assert_error(response: Any, status: int, code: str, param: str | None = None) -> None:
    assert response.status == status, (response.status, response.body)
    assert_valid("Error", response.body)
    error = response.body["error"]
    assert error["code"] == code, error
    if param is not None:
        assert error["param"] == param, error
