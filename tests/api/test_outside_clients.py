"""What clients we do not see found: an API fuzzer run with every check (`schemathesis run
--checks all`) against the served document. Each test pins one answer it flagged."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tests.api.helpers import assert_error
from tests.plugins.app import ApiClient


@pytest.fixture
async def client(make_api_key: Callable[..., Awaitable[str]],
                 api_client: Callable[..., ApiClient]) -> ApiClient:
    return api_client(await make_api_key())


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("TRACE", "/v1/status", {"GET", "HEAD"}),
    ("PUT", "/v1/invoices", {"GET", "HEAD", "POST"}),
    ("DELETE", "/v1/invoices/inv_x", {"GET", "HEAD"}),
])
async def test_method_not_allowed_lists_the_allowed_methods(
        client: ApiClient, method: str, path: str, allowed: set[str]) -> None:
    """RFC 9110: a 405 carries `Allow` (the error middleware used to drop it)."""
    response = await client.request(method, path)
    assert_error(response, 405, "method_not_allowed")
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed


@pytest.mark.parametrize("body", [{"enabled_events": ["*"]},
                                  {"url": "", "enabled_events": ["*"]},
                                  {"url": "  ", "enabled_events": ["*"]}])
async def test_webhook_endpoint_without_url_is_the_documented_missing_parameter(
        client: ApiClient, body: dict[str, object]) -> None:
    """docs/api.md names `missing_parameter`; this answer said `parameter_missing`."""
    assert_error(await client.post("/v1/webhook_endpoints", body), 400, "missing_parameter",
                 "url")
