"""What clients we do not see found: an API fuzzer run with every check (`schemathesis run
--checks all`) against the served document. Each test pins one answer it flagged."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from tests.api.helpers import assert_error
from tests.plugins.app import ApiClient, RunningApp


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


@pytest.mark.parametrize("bound", [
    "0001-01-01T00:00:00+01:00",  # year 0 in UTC: was a 500
    "9999-12-31T23:59:59-01:00",  # year 10000 in UTC: was a 500
    "2026-01-01t00:00:00z",  # RFC 3339 allows lower case: was a 400
    "253402300800",  # past 9999-12-31 in unix seconds: was a 400
    "0",
])
async def test_any_documented_created_bound_is_accepted(client: ApiClient, bound: str) -> None:
    for name in ("created[gte]", "created[lte]"):
        response = await client.get("/v1/invoices", params={name: bound})
        assert response.status == 200, (name, bound, response.body)


async def test_created_bound_that_is_no_time_is_400(client: ApiClient) -> None:
    for bound in ("", "yesterday", "2026-01-01T00:00:00", "0" * 21, "1" * 5000):
        assert_error(await client.get("/v1/invoices", params={"created[gte]": bound}), 400,
                     "invalid_type", "created[gte]")


async def _post_raw(server: RunningApp, path: str, headers: bytes, body: bytes) -> bytes:
    """A POST with header bytes aiohttp's client would not send as they are."""
    url = urlsplit(server.url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    writer.write(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                 + headers + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer


@pytest.mark.parametrize("key", ["ключ-1".encode(), "caf\u00e9".encode("latin-1"), b"a\tb"])
async def test_idempotency_key_is_printable_ascii_as_documented(
        app_server: RunningApp, make_api_key: Callable[..., Awaitable[str]], key: bytes) -> None:
    """The document said "printable" and the check let non-ASCII through, which clients send
    in different encodings; a fuzzer's Latin-1 key was refused as not printable."""
    headers = (b"Authorization: Bearer " + (await make_api_key()).encode() + b"\r\n"
               b"Idempotency-Key: " + key + b"\r\nContent-Type: application/json\r\n")
    answer = await _post_raw(app_server, "/v1/invoices", headers, b'{"amount": 100}')
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert b'"invalid_idempotency_key"' in answer or b'"invalid_string"' in answer, answer


async def test_idempotency_key_of_printable_ascii_is_accepted(client: ApiClient) -> None:
    key = "".join(chr(c) for c in range(0x21, 0x7F))
    response = await client.post("/v1/invoices", {"amount": 100}, headers={"Idempotency-Key": key})
    assert response.status == 200, response.body


def _strings(schema: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    types = schema.get("type")
    if types == "string" or (isinstance(types, list) and "string" in types):
        yield where, schema
    if isinstance(schema.get("propertyNames"), dict):
        yield f"{where} key", schema["propertyNames"]
    for name, child in schema.get("properties", {}).items():
        yield from _strings(child, f"{where}.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _strings(schema[key], f"{where}[]")
    for child in schema.get("anyOf", []):
        yield from _strings(child, where)


async def test_document_says_request_text_may_not_hold_a_nul(client: ApiClient) -> None:
    """Every request string with a NUL is 400 (test_input_validation); the document said any
    string, so a fuzzer's valid example with a NUL was refused."""
    document = (await client.get("/v1/openapi.json")).body
    schemas = document["components"]["schemas"]
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for param in operation.get("parameters", []):
                if "schema" in param:
                    found += _strings(param["schema"], f"{method} {path} {param['name']}")
            for media in operation.get("requestBody", {}).get("content", {}).values():
                ref = media["schema"].get("$ref")
                body = schemas[ref.rsplit("/", 1)[1]] if ref else media["schema"]
                found += _strings(body, f"{method} {path} body")
    free = [(where, schema) for where, schema in found
            if not {"enum", "const", "format"} & schema.keys()]
    assert len(free) > 10
    for where, schema in free:
        assert "pattern" in schema, where
        assert re.search(schema["pattern"], "a\u0000b") is None, where


async def test_document_says_a_webhook_url_is_an_http_url(client: ApiClient) -> None:
    """The document allowed any string ("" or "/v1/events"), which the API refuses."""
    document = (await client.get("/v1/openapi.json")).body
    url = document["components"]["schemas"]["CreateWebhookEndpointRequest"]["properties"]["url"]
    for refused in ("", "/v1/events", "ftp://example.com/hook", "https:/x"):
        assert re.search(url["pattern"], refused) is None, refused
        response = await client.post("/v1/webhook_endpoints",
                                     {"url": refused, "enabled_events": ["*"]})
        assert response.status == 400, (refused, response.body)
    assert re.search(url["pattern"], "HTTPS://example.com/hook")
    created = await client.post("/v1/webhook_endpoints", {"url": "HTTP://127.0.0.1:9/hook",
                                                          "enabled_events": ["*"]})
    assert created.status == 200, created.body


@pytest.mark.parametrize("host", ["\u00ee\U0010b2a0L~\u000f", "a\u0096b.example", "a..b",
                                  "x" * 64 + ".example"])
async def test_webhook_url_whose_host_is_no_domain_name_is_400(client: ApiClient,
                                                                host: str) -> None:
    """The resolver's IDNA encoding raised UnicodeError: a 500."""
    response = await client.post("/v1/webhook_endpoints", {"url": f"http://{host}/hook",
                                                           "enabled_events": ["*"]})
    assert_error(response, 400, "url_not_allowed", "url")


async def test_optional_body_field_sent_as_null_is_left_out_as_documented(
        client: ApiClient) -> None:
    """The API reads null as absent; the document said the types without null, so a fuzzer's
    "order_id": null counted as a wrong request accepted."""
    document = (await client.get("/v1/openapi.json")).body
    create = document["components"]["schemas"]["CreateInvoiceRequest"]
    optional = [name for name in create["properties"] if name not in create["required"]]
    assert {"order_id", "currency", "metadata", "assets", "redirect_url"} <= set(optional)
    for name in optional:
        assert "null" in create["properties"][name]["type"], name
        response = await client.post("/v1/invoices", {"amount": 100, name: None})
        assert response.status == 200, (name, response.body)
    assert None in create["properties"]["currency"]["enum"]
    endpoint = document["components"]["schemas"]["CreateWebhookEndpointRequest"]
    assert "null" in endpoint["properties"]["description"]["type"]
    assert "null" not in endpoint["properties"]["url"]["type"]
    created = await client.post("/v1/webhook_endpoints", {
        "url": "http://127.0.0.1:9/hook", "enabled_events": ["*"], "description": None})
    assert created.status == 200, created.body


@pytest.mark.parametrize("field", ["urls", "secret", "enabled"])
async def test_webhook_endpoint_create_refuses_an_unknown_field(client: ApiClient,
                                                                field: str) -> None:
    """Create ignored one, so `"urls": …` beside `url`, or a chosen `secret`, made an endpoint
    without what the caller meant (invoice and refund create answer 400 unknown_parameter)."""
    body = {"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"], field: "x"}
    assert_error(await client.post("/v1/webhook_endpoints", body), 400, "unknown_parameter",
                 field)
    assert (await client.get("/v1/webhook_endpoints")).body["data"] == []
    document = (await client.get("/v1/openapi.json")).body
    schema = document["components"]["schemas"]["CreateWebhookEndpointRequest"]
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {"url", "enabled_events", "description"}
    del body[field]
    assert (await client.post("/v1/webhook_endpoints", body)).status == 200


async def test_redeliver_refuses_an_unknown_field(client: ApiClient) -> None:
    """Redeliver read only `endpoint`, so `"endpoints": [...]` queued the event to every
    endpoint instead of the one meant."""
    assert_error(await client.post("/v1/events/evt_unknown/redeliver",
                                   {"endpoints": ["we_x"]}), 400, "unknown_parameter",
                 "endpoints")
    document = (await client.get("/v1/openapi.json")).body
    body = document["paths"]["/v1/events/{id}/redeliver"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["additionalProperties"] is False


@pytest.mark.parametrize("path", ["/v1/events", "/v1/webhook_endpoints", "/v1/invoices",
                                  "/v1/refunds"])
async def test_every_list_refuses_an_unknown_query_parameter(client: ApiClient,
                                                             path: str) -> None:
    """The event and endpoint lists ignored one, so `?invoce=inv_…` answered every event."""
    assert_error(await client.get(path, params={"invoce": "inv_x"}), 400, "unknown_parameter",
                 "invoce")


async def test_document_bounds_amount_and_expiry_by_the_settings(
        client: ApiClient, app_server: RunningApp) -> None:
    """No maximum was given, so a fuzzer's valid example above INVOICE_MAX_AMOUNT or
    INVOICE_MAX_EXPIRES_IN was refused."""
    document = (await client.get("/v1/openapi.json")).body
    create = document["components"]["schemas"]["CreateInvoiceRequest"]["properties"]
    settings = app_server.settings
    assert create["amount"]["maximum"] == settings.invoice_max_amount
    assert create["expires_in"]["maximum"] == settings.invoice_max_expires_in
    for name, top in (("amount", settings.invoice_max_amount),
                      ("expires_in", settings.invoice_max_expires_in)):
        body = {"amount": 100, "assets": ["USDT_SOL"], name: top + 1}
        assert_error(await client.post("/v1/invoices", body), 400, "parameter_out_of_range",
                     name)


async def test_a_form_body_is_refused_not_read_as_empty(client: ApiClient) -> None:
    """`curl -d amount=100` sends a form: it was read as `{}` (a refund's amount=100 would
    have refunded everything)."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for path in ("/v1/invoices", "/v1/invoices/inv_x/refunds", "/v1/webhook_endpoints"):
        response = await client.request("POST", path, data="amount=100", headers=form)
        assert_error(response, 400, "invalid_json")
    invoice = (await client.post("/v1/invoices", {"amount": 100})).body
    empty = await client.request("POST", f"/v1/invoices/{invoice['id']}/cancel", data="",
                                 headers=form)
    assert empty.status == 200, empty.body


_MODULE = re.compile(r"M([0-9.]+),([0-9.]+)H([0-9.]+)V([0-9.]+)H[0-9.]+z")


def _rasterized(svg: str, scale: int = 8) -> Image.Image:
    """The QR SVG (one path of unit squares) drawn as a bitmap, as a scanner would see it."""
    width, height = (int(v) for v in re.findall(r'viewBox="0 0 (\d+) (\d+)"', svg)[0])
    image = Image.new("L", (width * scale, height * scale), 255)
    draw = ImageDraw.Draw(image)
    for x0, y0, x1, y1 in _MODULE.findall(svg):
        draw.rectangle([float(x0) * scale, float(y0) * scale, float(x1) * scale - 1,
                        float(y1) * scale - 1], fill=0)
    return image


async def test_every_served_qr_svg_decodes_to_its_uri(
        client: ApiClient, api_client: Callable[..., ApiClient]) -> None:
    """A QR decoder reads the SVG image (only the PNG was decoded before) as the exact URI, for
    every asset and a message with percent-encoded UTF-8."""
    invoice = (await client.post("/v1/invoices", {
        "amount": 150000, "description": "2 flat whites & a 'croissant' 100% \u00fc/?="})).body
    public = api_client(None)
    assert len(invoice["payment_options"]) >= 2
    for option in invoice["payment_options"]:
        path = option["qr_svg_url"].split("://", 1)[1].partition("/")[2]
        svg = (await public.get("/" + path)).raw.decode()
        decoded = zxingcpp.read_barcodes(_rasterized(svg))
        assert [d.text for d in decoded] == [option["uri"]], option["asset_id"]
