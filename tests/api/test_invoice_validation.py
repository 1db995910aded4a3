"""Every bad input of POST /v1/invoices gets its status, error code and param."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gateway.invoices.params import Limits, parse_create
from tests.api.helpers import assert_error, invoice_body
from tests.plugins.app import ApiClient, RunningApp

MAX = 10_000_000_000  # Settings.invoice_max_amount default

CASES: list[tuple[str, dict[str, Any], str, str | None]] = [
    ("missing amount", {"currency": "KZT"}, "missing_parameter", "amount"),
    ("zero", {"amount": 0}, "parameter_out_of_range", "amount"),
    ("negative", {"amount": -5}, "parameter_out_of_range", "amount"),
    ("above max", {"amount": MAX + 1}, "parameter_out_of_range", "amount"),
    ("fraction", {"amount": 1.5}, "invalid_type", "amount"),
    ("integral float", {"amount": 100.0}, "invalid_type", "amount"),
    ("exponent", {"amount": 1e3}, "invalid_type", "amount"),
    ("string", {"amount": "100"}, "invalid_type", "amount"),
    ("bool", {"amount": True}, "invalid_type", "amount"),
    ("unknown field", {"amount": 100, "tip": 5}, "unknown_parameter", "tip"),
    ("currency", {"amount": 100, "currency": "USD"}, "unsupported_currency", "currency"),
    ("currency type", {"amount": 100, "currency": 7}, "invalid_type", "currency"),
    ("unknown asset", {"amount": 100, "assets": ["DOGE"]}, "unknown_asset", "assets"),
    ("assets not list", {"amount": 100, "assets": "BNB"}, "invalid_type", "assets"),
    ("assets empty", {"amount": 100, "assets": []}, "invalid_type", "assets"),
    ("asset not string", {"amount": 100, "assets": [1]}, "invalid_type", "assets"),
    ("metadata type", {"amount": 100, "metadata": ["a"]}, "invalid_type", "metadata"),
    ("metadata value type", {"amount": 100, "metadata": {"k": 1}}, "invalid_type",
     "metadata[k]"),
    ("metadata keys", {"amount": 100, "metadata": {f"k{i}": "v" for i in range(21)}},
     "invalid_metadata", "metadata"),
    ("metadata key length", {"amount": 100, "metadata": {"k" * 41: "v"}}, "invalid_metadata",
     "metadata"),
    ("metadata value length", {"amount": 100, "metadata": {"k": "v" * 501}},
     "parameter_out_of_range", "metadata[k]"),
    ("order_id type", {"amount": 100, "order_id": 5}, "invalid_type", "order_id"),
    ("order_id NUL", {"amount": 100, "order_id": "a\u0000b"}, "invalid_string", "order_id"),
    ("description length", {"amount": 100, "description": "x" * 1001},
     "parameter_out_of_range", "description"),
    ("expires_in short", {"amount": 100, "expires_in": 10}, "parameter_out_of_range",
     "expires_in"),
    ("expires_in long", {"amount": 100, "expires_in": 10**9}, "parameter_out_of_range",
     "expires_in"),
    ("expires_in type", {"amount": 100, "expires_in": "600"}, "invalid_type", "expires_in"),
    ("volatile expires_in", {"amount": 100, "assets": ["BNB", "USDT_BSC"], "expires_in": 3601},
     "parameter_out_of_range", "expires_in"),
    ("default assets volatile", {"amount": 100, "expires_in": 7200}, "parameter_out_of_range",
     "expires_in"),
    ("redirect scheme", {"amount": 100, "redirect_url": "javascript:alert(1)"}, "invalid_url",
     "redirect_url"),
    ("redirect no host", {"amount": 100, "redirect_url": "https://"}, "invalid_url",
     "redirect_url"),
]


@pytest.fixture
async def client(api_client: Callable[..., ApiClient],
                 make_api_key: Callable[..., Awaitable[str]]) -> ApiClient:
    return api_client(await make_api_key())


@pytest.mark.parametrize("name,body,code,param", CASES, ids=[c[0] for c in CASES])
async def test_bad_body(client: ApiClient, name: str, body: dict[str, Any], code: str,
                        param: str | None) -> None:
    assert_error(await client.post("/v1/invoices", body), 400, code, param)


@pytest.mark.parametrize("raw", ["{bad json", "[1, 2]", '"text"', "\xff\xfe"])
async def test_malformed_json(client: ApiClient, raw: str) -> None:
    response = await client.request("POST", "/v1/invoices", data=raw.encode("latin-1"),
                                    headers={"Content-Type": "application/json"})
    assert_error(response, 400, "invalid_json")


async def test_body_over_limit(client: ApiClient, app_server: RunningApp) -> None:
    big = invoice_body(description="x" * (app_server.settings.max_body_bytes + 10))
    assert_error(await client.post("/v1/invoices", big), 413, "body_too_large")


async def test_lowercase_currency_and_duplicate_assets_are_normalised(client: ApiClient) -> None:
    response = await client.post("/v1/invoices", invoice_body(currency="kzt",
                                                               assets=["SOL", "SOL", "BNB"]))
    assert response.status == 200, response.body
    assert response.body["currency"] == "KZT"
    assert [o["asset_id"] for o in response.body["payment_options"]] == ["SOL", "BNB"]


async def test_pegged_tokens_alone_may_be_quoted_longer(client: ApiClient) -> None:
    """A volatile asset caps expires_in at INVOICE_VOLATILE_MAX_EXPIRES_IN (1 h); pegged
    tokens alone keep INVOICE_MAX_EXPIRES_IN."""
    volatile = await client.post("/v1/invoices", invoice_body(assets=["SOL"], expires_in=3600))
    assert volatile.status == 200, volatile.body
    pegged = await client.post("/v1/invoices", invoice_body(assets=["USDT_BSC"],
                                                            expires_in=6 * 3600))
    assert pegged.status == 200, pegged.body


def test_a_long_default_expiry_is_cut_to_the_volatile_cap() -> None:
    """A merchant's default expiry (portal settings) above the volatile cap applies in full
    only to pegged tokens."""
    limits = Limits(max_amount=MAX, default_expires_in=7200, max_expires_in=86400,
                    assets=("BNB", "USDT_BSC"), volatile_max_expires_in=3600)
    assert parse_create({"amount": 100}, limits).expires_in == 3600
    assert parse_create({"amount": 100, "assets": ["USDT_BSC"]}, limits).expires_in == 7200
