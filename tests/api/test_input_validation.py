"""NUL and lone surrogates are refused as 400 `invalid_string` before PostgreSQL sees them.

The cases named in issue 14 answered 500 (CharacterNotInRepertoireError) before: a NUL in
`starting_after`, in an `order_id` filter, in `/v1/events` query parameters and in the
endpoint id of POST /v1/events/{id}/redeliver.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from gateway.http.validation import check_json, has_unstorable
from tests.api.helpers import assert_error, invoice_body
from tests.plugins.app import ApiClient, RunningApp

NUL = "\u0000"
SURROGATE = "\ud800"

QUERY_CASES: list[tuple[str, dict[str, str], str]] = [
    ("/v1/invoices", {"starting_after": f"inv_{NUL}"}, "starting_after"),
    ("/v1/invoices", {"order_id": f"A{NUL}B"}, "order_id"),
    ("/v1/events", {"starting_after": f"evt_{NUL}"}, "starting_after"),
    ("/v1/events", {"invoice": f"inv_{NUL}"}, "invoice"),
    ("/v1/events", {"type": f"invoice.{NUL}"}, "type"),
    ("/v1/webhook_endpoints", {"starting_after": NUL}, "starting_after"),
]


@pytest.fixture
async def client(make_api_key: Callable[..., Awaitable[str]],
                 api_client: Callable[..., ApiClient]) -> ApiClient:
    return api_client(await make_api_key())


def test_unstorable_text_is_nul_and_lone_surrogates_only() -> None:
    assert has_unstorable(NUL) and has_unstorable(f"a{SURROGATE}b")
    assert has_unstorable("\udfff")
    assert not has_unstorable("Кофе ☕ 𝄞 é \t\n")


def test_json_check_names_the_deepest_param() -> None:
    with pytest.raises(Exception) as caught:
        check_json({"metadata": {"k": ["ok", f"x{NUL}"]}})
    assert getattr(caught.value, "param", None) == "metadata[k][1]"
    check_json({"a": [1, 2.5, None, True, {"b": "fine"}]})


@pytest.mark.parametrize(("path", "params", "param"), QUERY_CASES)
async def test_nul_in_query_parameter_is_400(client: ApiClient, path: str,
                                             params: dict[str, str], param: str) -> None:
    resp = await client.get(path, params=params)
    assert_error(resp, 400, "invalid_string", param)


async def test_nul_in_query_parameter_name_is_400(client: ApiClient) -> None:
    resp = await client.get("/v1/invoices?a%00b=1")
    assert_error(resp, 400, "invalid_string", "query")


@pytest.mark.parametrize("path", [
    "/v1/invoices/inv_%00", "/v1/events/evt_%00", "/v1/webhook_endpoints/we_%00",
    "/pay/inv_%00",
])
async def test_nul_in_path_segment_is_400(client: ApiClient, path: str) -> None:
    resp = await client.get(path)
    assert_error(resp, 400, "invalid_string", "id")


async def test_nul_in_redeliver_event_id_and_endpoint_is_400(client: ApiClient) -> None:
    resp = await client.post("/v1/events/evt_%00/redeliver", {})
    assert_error(resp, 400, "invalid_string", "id")
    resp = await client.post("/v1/events/evt_x/redeliver", {"endpoint": f"we_{NUL}"})
    assert_error(resp, 400, "invalid_string", "endpoint")


@pytest.mark.parametrize(("body", "param"), [
    (invoice_body(order_id=f"A{NUL}"), "order_id"),
    (invoice_body(description=f"x{SURROGATE}"), "description"),
    (invoice_body(metadata={"table": f"7{NUL}"}), "metadata[table]"),
    (invoice_body(metadata={f"k{NUL}": "v"}), "metadata"),
    (invoice_body(assets=[f"BNB{SURROGATE}"]), "assets[0]"),
])
async def test_unstorable_json_string_at_any_depth_is_400(
        client: ApiClient, body: dict[str, Any], param: str) -> None:
    resp = await client.post("/v1/invoices", body, idempotency_key=None)
    assert_error(resp, 400, "invalid_string", param)


async def test_lone_surrogate_escape_in_raw_json_is_400(client: ApiClient) -> None:
    raw = '{"amount": 100, "order_id": "\\udc80"}'
    resp = await client.request("POST", "/v1/invoices", data=raw,
                                headers={"Content-Type": "application/json"})
    assert_error(resp, 400, "invalid_string", "order_id")


async def _raw_request(server: RunningApp, head: bytes) -> tuple[int, bytes]:
    """Send bytes aiohttp's client would refuse to send (non-UTF-8 header values)."""
    url = urlsplit(server.url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    writer.write(head + b"Connection: close\r\n\r\n")
    await writer.drain()
    answer = await reader.read()
    writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


async def test_non_utf8_header_value_we_read_is_400(
        app_server: RunningApp, make_api_key: Callable[..., Awaitable[str]]) -> None:
    key = (await make_api_key()).encode()
    status, body = await _raw_request(
        app_server,
        b"GET /v1/invoices HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + key + b"\r\n"
        b"Idempotency-Key: k\xed\xa0\x80\r\n",
    )
    assert status == 400, body
    assert b'"invalid_string"' in body and b'"Idempotency-Key"' in body


async def test_unsafe_request_id_is_replaced_not_echoed(client: ApiClient) -> None:
    resp = await client.get("/v1/invoices", headers={"X-Request-Id": "a b<c>"})
    assert resp.status == 200
    assert resp.headers["Request-Id"].startswith("req_")
    resp = await client.get("/v1/invoices", headers={"X-Request-Id": "trace-42"})
    assert resp.headers["Request-Id"] == "trace-42"


def _string_params(document: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(method, path, location, name) of every string parameter of every operation."""
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for param in operation.get("parameters", []):
                if "$ref" in param:
                    ref = param["$ref"].rsplit("/", 1)[1]
                    param = document["components"]["parameters"][ref]
                if param["schema"].get("type", "string") == "string":
                    found.append((method.upper(), path, param["in"], param["name"]))
    return found


async def test_nul_in_every_string_parameter_of_every_operation_is_400(
        client: ApiClient) -> None:
    document = (await client.get("/v1/openapi.json")).body
    cases = _string_params(document)
    assert len(cases) >= 15
    for method, path, location, name in cases:
        params: dict[str, str] = {}
        target = path.replace("{id}", "x")
        if location == "path":
            target = path.replace("{" + name + "}", "x%00y")
        elif location == "query":
            params[name] = f"x{NUL}"
        else:  # a header cannot carry NUL on the wire; a lone surrogate arrives as bad UTF-8
            continue
        body = {} if method == "POST" else None
        resp = await client.request(method, target, params=params, json_body=body)
        assert_error(resp, 400, "invalid_string", name)


def _body_string_fields(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(path, field, example) of every string property of every JSON request body."""
    found = []
    schemas = document["components"]["schemas"]
    for path, item in document["paths"].items():
        post = item.get("post", {})
        content = post.get("requestBody", {}).get("content", {}).get("application/json")
        if content is None:
            continue
        schema = content["schema"]
        if "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
        for field, spec in schema.get("properties", {}).items():
            # An optional field is ["string", "null"]: null reads as left out.
            if spec.get("type") in ("string", ["string", "null"]):
                found.append((path, field, f"x{NUL}"))
    return found


async def test_nul_in_every_string_field_of_every_json_body_is_400(client: ApiClient) -> None:
    document = (await client.get("/v1/openapi.json")).body
    cases = _body_string_fields(document)
    assert len(cases) >= 6
    for path, field, value in cases:
        resp = await client.post(path.replace("{id}", "x"), {field: value})
        assert_error(resp, 400, "invalid_string", field)


async def test_nul_in_a_form_field_is_400_before_the_handler(
        app_server: RunningApp, http_session: aiohttp.ClientSession) -> None:
    async with http_session.post(f"{app_server.url}/admin/login",
                                 data={"username": f"admin{NUL}", "password": "x"}) as resp:
        assert resp.status == 400
        error = (await resp.json())["error"]
    assert (error["code"], error["param"]) == ("invalid_string", "username")
