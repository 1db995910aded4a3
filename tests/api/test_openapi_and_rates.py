"""The served OpenAPI 3.1 document covers every /v1 route; stale rates refuse invoices (503)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from jsonschema import Draft202012Validator

from gateway.config import Settings
from gateway.rates import RATE_BOOK
from tests.api.helpers import assert_error, invoice_body, validator
from tests.plugins.app import ApiClient, RunningApp, free_port, running_app


async def test_document_is_public_and_covers_every_v1_route(
    app_server: RunningApp, api_client: Callable[..., ApiClient]
) -> None:
    response = await api_client(None).get("/v1/openapi.json")
    assert response.status == 200
    doc = response.body
    assert doc["openapi"].startswith("3.1")
    routes = {
        (re.sub(r"\{(\w+)(:[^}]*)?\}", r"{\1}", r.resource.canonical), r.method.lower())
        for r in app_server.app.router.routes()
        if r.resource is not None and r.resource.canonical.startswith("/v1/")
        and r.method != "HEAD"
    }
    documented = {(path, method) for path, item in doc["paths"].items() for method in item}
    assert routes <= documented, routes - documented
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            assert "200" in operation["responses"] or "201" in operation["responses"], path
            if method == "post" and path != "/v1/openapi.json":
                refs = [p.get("$ref") for p in operation.get("parameters", [])]
                assert "#/components/parameters/IdempotencyKey" in refs, path
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


async def test_real_responses_validate_against_the_served_document(
    api_client: Callable[..., ApiClient], make_api_key: Callable[..., Awaitable[str]]
) -> None:
    client = api_client(await make_api_key())
    doc = (await client.get("/v1/openapi.json")).body
    created = await client.post("/v1/invoices", invoice_body(redirect_url="https://x.example/"))
    validator("Invoice", doc).validate(created.body)
    validator("CreateInvoiceRequest", doc).validate(invoice_body())
    listing = await client.get("/v1/invoices")
    validator("InvoiceList", doc).validate(listing.body)
    cancelled = await client.post(f"/v1/invoices/{created.body['id']}/cancel")
    validator("Invoice", doc).validate(cancelled.body)
    error = await client.post("/v1/invoices", {"amount": "1"})
    validator("Error", doc).validate(error.body)


@pytest.fixture
async def stale_server(app_settings: Settings) -> AsyncIterator[RunningApp]:
    port = free_port()
    settings = replace(app_settings, port=port, public_url=f"http://127.0.0.1:{port}",
                       rates=replace(app_settings.rates, refresh_seconds=3600))
    async with running_app(settings) as server:
        yield server


async def test_stale_rate_refuses_invoice_naming_the_pair(
    stale_server: RunningApp, api_client: Callable[..., ApiClient],
    make_api_key: Callable[..., Awaitable[str]],
) -> None:
    book = stale_server.app[RATE_BOOK]
    prices = dict(stale_server.settings.rates.fixed)
    book.record("fixed", prices, datetime.now(UTC) - timedelta(hours=2))
    client = api_client(await make_api_key(), server=stale_server)
    response = await client.post("/v1/invoices", invoice_body(assets=["SOL"]))
    assert_error(response, 503, "rate_unavailable", "SOL_KZT")
    assert "SOL_KZT" in response.body["error"]["message"]
    # Fresh again: invoices flow again at the new rate.
    book.record("fixed", {**prices, "SOL": Decimal("80000")}, datetime.now(UTC))
    ok = await client.post("/v1/invoices", invoice_body(assets=["SOL"]))
    assert ok.status == 200 and ok.body["payment_options"][0]["rate"] == "80000"
