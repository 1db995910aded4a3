"""Create, read, list (pagination, filters), cancel; payment URIs and QR codes round-trip."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
import zxingcpp
from PIL import Image

from gateway.payments.uri import parse_eip681, parse_solana_pay
from gateway.rates import units_for
from tests.api.helpers import assert_error, assert_valid, invoice_body
from tests.plugins.app import TEST_TOKENS, ApiClient, ApiResponse

KeyFactory = Callable[..., Awaitable[str]]
TOKENS = {
    "USDT_BSC": TEST_TOKENS["bsc_usdt_contract"], "USDC_BSC": TEST_TOKENS["bsc_usdc_contract"],
    "USDT_SOL": TEST_TOKENS["solana_usdt_mint"], "USDC_SOL": TEST_TOKENS["solana_usdc_mint"],
    "KZTE": TEST_TOKENS["solana_kzte_mint"],
}


@pytest.fixture
async def client(api_client: Callable[..., ApiClient], make_api_key: KeyFactory) -> ApiClient:
    return api_client(await make_api_key())


async def _create(client: ApiClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/v1/invoices", invoice_body(**overrides))
    assert response.status == 200, response.body
    assert_valid("Invoice", response.body)
    body: dict[str, Any] = response.body
    return body


async def test_create_returns_the_documented_invoice(client: ApiClient) -> None:
    before = datetime.now(UTC)
    invoice = await _create(client, redirect_url="https://shop.example/thanks", expires_in=600)
    assert invoice["object"] == "invoice" and str(invoice["id"]).startswith("inv_")
    assert (invoice["status"], invoice["exception"], invoice["amount_paid"]) == ("new", None, 0)
    assert (invoice["amount"], invoice["currency"]) == (150_000, "KZT")
    assert invoice["metadata"] == {"table": "7"}
    assert str(invoice["checkout_url"]).endswith(f"/pay/{invoice['id']}")
    created = datetime.fromisoformat(str(invoice["created_at"]))
    expires = datetime.fromisoformat(str(invoice["expires_at"]))
    assert created >= before - timedelta(seconds=5)
    assert expires - created == timedelta(seconds=600)
    assert [o["asset_id"] for o in invoice["payment_options"]] == [
        "BNB", "USDT_BSC", "USDC_BSC", "SOL", "USDT_SOL", "USDC_SOL", "KZTE"]


async def test_quotes_are_locked_and_rounded_up(client: ApiClient) -> None:
    invoice = await _create(client, amount=100_001)
    for option in invoice["payment_options"]:
        units = int(option["amount_units"])
        assert units == units_for(100_001, Decimal(option["rate"]), option["decimals"])
        # amount is the exact decimal of units (no exponent, no rounding)
        assert Decimal(option["amount"]).scaleb(option["decimals"]) == units
        assert "e" not in option["amount"].lower()
        assert option["rate_source"] and option["rate_fetched_at"]
    kzte = invoice["payment_options"][-1]
    assert kzte["amount"] == "1000.01"  # 1:1 with KZT


async def test_bsc_uris_parse_back_exactly(client: ApiClient) -> None:
    invoice = await _create(client, assets=["BNB", "USDT_BSC"])
    native, token = invoice["payment_options"]
    assert native["address"] == token["address"]  # one deposit address per invoice
    parsed = parse_eip681(native["uri"])
    assert (parsed.target, parsed.chain_id, parsed.function) == (native["address"], 56, None)
    assert parsed.amount == int(native["amount_units"])
    parsed = parse_eip681(token["uri"])
    assert (parsed.target, parsed.function, parsed.to) == (TOKENS["USDT_BSC"], "transfer",
                                                            token["address"])
    assert parsed.amount == int(token["amount_units"])


async def test_deposit_addresses_are_fresh_per_invoice(client: ApiClient) -> None:
    first = await _create(client, assets=["BNB"])
    second = await _create(client, assets=["BNB"])
    assert first["payment_options"][0]["address"] != second["payment_options"][0]["address"]


async def test_solana_uris_parse_back_exactly(client: ApiClient) -> None:
    invoice = await _create(client, assets=["SOL", "USDC_SOL", "KZTE"])
    references = {o["reference"] for o in invoice["payment_options"]}
    assert len(references) == 1  # one reference per invoice, shared by its Solana options
    for option in invoice["payment_options"]:
        parsed = parse_solana_pay(option["uri"])
        assert parsed.recipient == option["recipient"] == TEST_TOKENS["solana_treasury"]
        assert parsed.amount == Decimal(option["amount"])
        assert parsed.spl_token == TOKENS.get(option["asset_id"])
        assert parsed.references == [option["reference"]]
        assert parsed.message == "2 coffees"


async def test_get_returns_the_same_invoice(client: ApiClient) -> None:
    invoice = await _create(client)
    response = await client.get(f"/v1/invoices/{invoice['id']}")
    assert response.status == 200
    assert response.body == invoice


async def test_another_merchants_invoice_is_missing(client: ApiClient,
                                                    api_client: Callable[..., ApiClient],
                                                    make_api_key: KeyFactory) -> None:
    invoice = await _create(client)
    stranger = api_client(await make_api_key())
    for response in (await stranger.get(f"/v1/invoices/{invoice['id']}"),
                     await stranger.post(f"/v1/invoices/{invoice['id']}/cancel")):
        assert_error(response, 404, "resource_missing")
        assert set(response.body) == {"error"}
        assert "ORD-1" not in response.raw.decode()  # nothing of the invoice leaks
    listing = await stranger.get("/v1/invoices")
    assert listing.body["data"] == []
    assert_error(await client.get("/v1/invoices/inv_doesnotexist00000000"), 404,
                 "resource_missing")
    assert_error(await client.get("/v1/invoices/not-an-id"), 404, "resource_missing")


async def test_suspended_merchant_cannot_create(api_client: Callable[..., ApiClient],
                                                make_merchant: Callable[..., Awaitable[str]],
                                                make_api_key: KeyFactory) -> None:
    merchant_id = await make_merchant(status="suspended")
    client = api_client(await make_api_key(merchant_id))
    assert_error(await client.post("/v1/invoices", invoice_body()), 403, "merchant_suspended")
    assert (await client.get("/v1/invoices")).status == 200  # reading still works


async def _ids(response: ApiResponse) -> list[str]:
    assert response.status == 200, response.body
    assert_valid("InvoiceList", response.body)
    return [item["id"] for item in response.body["data"]]


async def test_list_paginates_newest_first(client: ApiClient) -> None:
    created = [(await _create(client, order_id=f"P{i}"))["id"] for i in range(5)]
    seen: list[str] = []
    params = {"limit": "2"}
    while True:
        response = await client.get("/v1/invoices", params=params)
        seen += await _ids(response)
        if not response.body["has_more"]:
            break
        params = {"limit": "2", "starting_after": seen[-1]}
    assert seen == list(reversed(created))
    first = await client.get("/v1/invoices")
    assert len(first.body["data"]) == 5 and first.body["has_more"] is False


async def test_list_filters(client: ApiClient) -> None:
    keep = await _create(client, order_id="KEEP")
    other = await _create(client, order_id="OTHER")
    await client.post(f"/v1/invoices/{other['id']}/cancel")
    assert await _ids(await client.get("/v1/invoices", params={"order_id": "KEEP"})) == [
        keep["id"]]
    assert await _ids(await client.get("/v1/invoices", params={"status": "cancelled"})) == [
        other["id"]]
    future = str(int((datetime.now(UTC) + timedelta(hours=1)).timestamp()))
    assert await _ids(await client.get("/v1/invoices", params={"created[gte]": future})) == []
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert len(await _ids(await client.get("/v1/invoices", params={"created[gte]": past}))) == 2
    assert await _ids(await client.get("/v1/invoices", params={"created[lte]": past})) == []


@pytest.mark.parametrize("params,code,param", [
    ({"limit": "0"}, "parameter_out_of_range", "limit"),
    ({"limit": "101"}, "parameter_out_of_range", "limit"),
    ({"limit": "ten"}, "invalid_type", "limit"),
    ({"status": "paid"}, "invalid_request", "status"),
    ({"created[gte]": "yesterday"}, "invalid_type", "created[gte]"),
    ({"created[lte]": "2024-01-01T00:00:00"}, "invalid_type", "created[lte]"),
    ({"sort": "asc"}, "unknown_parameter", "sort"),
])
async def test_list_refuses_bad_query(client: ApiClient, params: dict[str, str], code: str,
                                      param: str) -> None:
    assert_error(await client.get("/v1/invoices", params=params), 400, code, param)


async def test_list_unknown_cursor(client: ApiClient) -> None:
    response = await client.get("/v1/invoices", params={"starting_after": "inv_nope0000000000"})
    assert_error(response, 404, "resource_missing", "starting_after")


async def _events(conn: asyncpg.Connection, invoice_id: str) -> list[str]:
    rows = await conn.fetch("SELECT type FROM events WHERE invoice_id = $1 ORDER BY created_at",
                            invoice_id)
    return [row["type"] for row in rows]


async def test_cancel_new_invoice_once(client: ApiClient, conn: asyncpg.Connection) -> None:
    invoice = await _create(client)
    response = await client.post(f"/v1/invoices/{invoice['id']}/cancel")
    assert response.status == 200 and response.body["status"] == "cancelled"
    assert_valid("Invoice", response.body)
    again = await client.post(f"/v1/invoices/{invoice['id']}/cancel")
    assert_error(again, 409, "invoice_not_cancellable")
    assert await _events(conn, invoice["id"]) == ["invoice.created", "invoice.cancelled"]


async def test_cancel_refused_after_payment_or_with_params(client: ApiClient,
                                                           conn: asyncpg.Connection) -> None:
    invoice = await _create(client)
    assert_error(await client.post(f"/v1/invoices/{invoice['id']}/cancel", {"reason": "x"}),
                 400, "unknown_parameter", "reason")
    await conn.execute("UPDATE invoices SET amount_paid = 5 WHERE id = $1", invoice["id"])
    assert_error(await client.post(f"/v1/invoices/{invoice['id']}/cancel"), 409,
                 "invoice_not_cancellable")
    await conn.execute("UPDATE invoices SET amount_paid = 0, status = 'processing' "
                       "WHERE id = $1", invoice["id"])
    assert_error(await client.post(f"/v1/invoices/{invoice['id']}/cancel"), 409,
                 "invoice_not_cancellable")


async def test_qr_codes_decode_to_the_uri(client: ApiClient,
                                          api_client: Callable[..., ApiClient]) -> None:
    invoice = await _create(client, assets=["USDT_BSC", "SOL"])
    public = api_client(None)  # QR images need no API key
    for option in invoice["payment_options"]:
        path = option["qr_png_url"].split("://", 1)[1].partition("/")[2]
        png = await public.get("/" + path)
        assert png.status == 200 and png.headers["Content-Type"] == "image/png"
        assert png.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.raw)))
        assert [d.text for d in decoded] == [option["uri"]]
        svg = await public.get("/" + path.replace(".png", ".svg"))
        assert svg.status == 200 and svg.headers["Content-Type"] == "image/svg+xml"
        assert svg.raw.lstrip().startswith(b"<")
    assert_error(await public.get("/qr/AAAAAAAAAAAAAAAAAAAAAAAA/SOL.png"), 404, "resource_missing")


async def test_concurrent_creates_get_distinct_addresses(client: ApiClient) -> None:
    bodies = await asyncio.gather(*(client.post("/v1/invoices", invoice_body(assets=["BNB"]))
                                    for _ in range(10)))
    addresses = {b.body["payment_options"][0]["address"] for b in bodies}
    assert len(addresses) == 10
