"""The checkout over plain HTTP (no browser): headers, languages, 404, fragments, statics."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import aiohttp
import asyncpg
import pytest
from lxml import html as lxml_html

from gateway.checkout.headers import CONTENT_SECURITY_POLICY
from gateway.checkout.remainder import remaining_units, uri_for_units
from gateway.invoices.models import PaymentOption
from gateway.invoices.states import InvoiceException, InvoiceStatus
from tests.browser.support import advance, create_invoice
from tests.plugins.app import ApiClient, RunningApp

KeyFactory = Callable[..., Awaitable[str]]


@pytest.fixture
async def client(api_client: Callable[..., ApiClient], make_api_key: KeyFactory,
                 make_merchant: KeyFactory) -> ApiClient:
    merchant = await make_merchant(name="Кофейня «Алматы»")
    return api_client(await make_api_key(merchant))


async def fetch(session: aiohttp.ClientSession, url: str, **headers: str
                ) -> tuple[int, dict[str, str], str]:
    async with session.get(url, headers=headers) as resp:
        return resp.status, dict(resp.headers), await resp.text()


async def test_page_shows_the_invoice_with_strict_headers(
        client: ApiClient, app_server: RunningApp, http_session: aiohttp.ClientSession) -> None:
    invoice = await create_invoice(client, amount=1_234_567, order_id="A-77")
    status, headers, body = await fetch(http_session, invoice["checkout_url"],
                                        **{"Accept-Language": "ru-RU,ru;q=0.9"})
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe" not in body
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"
    doc = lxml_html.fromstring(body)
    assert doc.get("lang") == "ru"
    assert doc.get_element_by_id("merchant").text_content() == "Кофейня «Алматы»"
    assert doc.get_element_by_id("amount-kzt").text_content() == "12\u2009345,67\u00a0₸"
    # Scripts only from our origin; the catalog block is data, not code.
    for script in doc.iter("script"):
        assert script.get("src", "").startswith("/checkout/static/") or \
            script.get("type") == "application/json"
    svg = doc.get_element_by_id("qr").find("svg")
    assert svg is not None and svg.get("role") == "img" and svg.get("aria-label")
    first = invoice["payment_options"][0]
    assert doc.get_element_by_id("wallet-link").get("href") == first["uri"]
    assert doc.get_element_by_id("status").get("aria-live") == "polite"
    for button in doc.iter("button"):
        assert button.get("aria-label"), lxml_html.tostring(button)
    assert [b.get("value") for b in doc.find_class("option")] == [
        o["asset_id"] for o in invoice["payment_options"]]


@pytest.mark.parametrize(("query", "accept", "lang", "text"), [
    ("", "kk-KZ,kk;q=0.9", "kk", "Төлеуге"),
    ("", "en-GB,en;q=0.8", "en", "Amount due"),
    ("", "de-DE", "ru", "К оплате"),
    ("?lang=en", "kk", "en", "Amount due"),
])
async def test_language_choice(client: ApiClient, http_session: aiohttp.ClientSession,
                               query: str, accept: str, lang: str, text: str) -> None:
    invoice = await create_invoice(client)
    status, headers, body = await fetch(http_session, invoice["checkout_url"] + query,
                                        **{"Accept-Language": accept})
    assert status == 200 and headers["Content-Language"] == lang
    assert f'<html lang="{lang}">' in body and text in body


async def test_unknown_invoice_is_a_translated_html_404(
        app_server: RunningApp, http_session: aiohttp.ClientSession) -> None:
    for path in ("/pay/inv_doesnotexist0000", "/pay/not-an-id%3Cscript%3E"):
        status, headers, body = await fetch(http_session, app_server.url + path + "?lang=kk")
        assert status == 404 and headers["Content-Type"].startswith("text/html")
        assert "Шот табылмады" in body and "<script" not in body
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


async def test_panel_fragment_of_another_option(client: ApiClient,
                                                http_session: aiohttp.ClientSession) -> None:
    invoice = await create_invoice(client, assets=["USDT_BSC", "SOL"])
    sol = invoice["payment_options"][1]
    status, _, body = await fetch(http_session,
                                  f"{invoice['checkout_url']}/panel?asset=SOL&lang=en")
    fragment = lxml_html.fromstring(body)
    assert status == 200 and fragment.get("id") == "panel" and fragment.get("data-asset") == "SOL"
    assert fragment.get_element_by_id("wallet-link").get("href") == sol["uri"]
    assert fragment.get_element_by_id("pay-amount").text_content() == sol["amount"]
    assert fragment.get_element_by_id("pay-target").text_content() == sol["recipient"]


async def test_partial_payment_offers_the_remainder(
        client: ApiClient, app_server: RunningApp, db_pool: asyncpg.Pool,
        http_session: aiohttp.ClientSession) -> None:
    invoice = await create_invoice(client, amount=150_000, assets=["USDT_BSC", "USDT_SOL"])
    await advance(db_pool, invoice["id"], "invoice.paid_partial", app_server.url,
                  amount_paid=50_000, exception=InvoiceException.PAID_PARTIAL)
    async with db_pool.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM invoice_payment_options WHERE invoice_id = $1 "
                                "ORDER BY position", invoice["id"])
    for row, asset in zip(rows, ("USDT_BSC", "USDT_SOL"), strict=True):
        option = PaymentOption.from_row(row)
        units = remaining_units(option, 150_000, 50_000)
        status, _, body = await fetch(
            http_session, f"{invoice['checkout_url']}?asset={asset}&lang=en")
        doc = lxml_html.fromstring(body)
        assert status == 200
        assert doc.get_element_by_id("checkout").get("data-phase") == "partial"
        assert doc.get_element_by_id("wallet-link").get("href") == uri_for_units(option, units)
        assert units < option.amount_units and "New QR code" in body
        assert doc.get_element_by_id("remaining-kzt").text_content() == "1\u2009000.00\u00a0₸"


async def test_finished_invoice_offers_nothing_to_pay(
        client: ApiClient, app_server: RunningApp, db_pool: asyncpg.Pool,
        http_session: aiohttp.ClientSession) -> None:
    invoice = await create_invoice(client)
    await advance(db_pool, invoice["id"], "invoice.expired", app_server.url,
                  status=InvoiceStatus.EXPIRED)
    status, _, body = await fetch(http_session, invoice["checkout_url"] + "?lang=en")
    assert status == 200 and "has expired" in body and 'id="panel"' not in body
    status, _, _ = await fetch(http_session, invoice["checkout_url"] + "/panel?asset=BNB")
    assert status == 409


async def test_static_files_are_versioned_and_revalidated(
        app_server: RunningApp, http_session: aiohttp.ClientSession,
        client: ApiClient) -> None:
    invoice = await create_invoice(client)
    _, _, body = await fetch(http_session, invoice["checkout_url"])
    match = re.search(r'src="(/checkout/static/checkout\.js\?v=([0-9a-f]+))"', body)
    assert match is not None
    status, headers, js = await fetch(http_session, app_server.url + match[1])
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert "immutable" in headers["Cache-Control"] and "EventSource" in js
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, headers, _ = await fetch(http_session, app_server.url + "/checkout/static/checkout.js",
                                     **{"If-None-Match": f'"{match[2]}"'})
    assert status == 304 and headers["Cache-Control"] == "no-cache"
    status, _, _ = await fetch(http_session, app_server.url + "/checkout/static/../app.py")
    assert status == 404


async def test_favicon_is_the_checkout_icon(
        app_server: RunningApp, http_session: aiohttp.ClientSession) -> None:
    """Browsers ask for /favicon.ico on pages without an icon link (a redirect target such as
    /healthz); a 404 there would show up as a console error on the shopper's phone."""
    status, headers, body = await fetch(http_session, app_server.url + "/favicon.ico")
    assert status == 200 and headers["Content-Type"].startswith("image/svg+xml")
    assert "<svg" in body
