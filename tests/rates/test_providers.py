"""Provider parsing: the NBK fixture and Binance's ticker format, served by local servers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from gateway.rates.errors import ProviderError
from gateway.rates.providers import (
    BinanceProvider,
    FixedProvider,
    NbkProvider,
    parse_binance,
    parse_nbk,
)
from tests.plugins.local_server import serve

NBK_SAMPLE = (Path(__file__).parents[1] / "fixtures" / "nbk_sample.xml").read_bytes()


def test_nbk_fixture_exact_values_with_quant() -> None:
    rates = parse_nbk(NBK_SAMPLE)
    assert rates == {"AUD": Decimal("291.85"), "IRR": Decimal("0.0105")}
    assert str(rates["IRR"]) == "0.0105"  # 10.5 KZT per 1000 rials, exactly


def test_nbk_skips_malformed_items_but_keeps_the_rest() -> None:
    body = (
        b"<rates><item><title>USD</title><description>447.79</description><quant>1</quant>"
        b"</item><item><title>EUR</title><description>n/a</description><quant>1</quant></item>"
        b"<item><title>JPY</title><description>29.1</description><quant>0</quant></item></rates>"
    )
    assert parse_nbk(body) == {"USD": Decimal("447.79")}


@pytest.mark.parametrize(
    "body",
    [b"<html>maintenance</html>", b"<rates><date>06.05.2024</date></rates>", b"not xml <",
     b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "USD">]><rates><item><title>&x;</title>'
     b"<description>1</description></item></rates>"],
)
def test_nbk_refuses_unusable_documents(body: bytes) -> None:
    with pytest.raises(ProviderError, match="nbk"):
        parse_nbk(body)


async def test_nbk_fetch_asks_for_todays_almaty_date() -> None:
    seen: list[str] = []

    async def rates(request: web.Request) -> web.Response:
        seen.append(request.query["fdate"])
        return web.Response(body=NBK_SAMPLE, content_type="application/xml")

    app = web.Application()
    app.router.add_get("/rss/get_rates.cfm", rates)
    # 20:30 UTC on 5 May is already 6 May in Almaty (UTC+5).
    clock = lambda: datetime(2024, 5, 5, 20, 30, tzinfo=UTC)  # noqa: E731
    async with serve(app) as base, aiohttp.ClientSession() as session:
        provider = NbkProvider(f"{base}/rss/get_rates.cfm?fdate={{date}}", clock=clock)
        assert (await provider.fetch(session))["AUD"] == Decimal("291.85")
    assert seen == ["06.05.2024"]


async def test_nbk_http_error_is_a_provider_error() -> None:
    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=502)

    app = web.Application()
    app.router.add_get("/r", broken)
    async with serve(app) as base, aiohttp.ClientSession() as session:
        with pytest.raises(ProviderError, match="HTTP 502"):
            await NbkProvider(f"{base}/r").fetch(session)


def _binance_app(seen: list[list[str]]) -> web.Application:
    prices = {"BNBUSDT": "612.34000000", "SOLUSDT": "151.07000000", "USDCUSDT": "1.00010000"}

    async def ticker(request: web.Request) -> web.Response:
        symbols = json.loads(request.query["symbols"])
        seen.append(symbols)
        unknown = [s for s in symbols if s not in prices]
        if unknown:  # Binance answers unknown symbols with 400 and its error object
            return web.json_response({"code": -1121, "msg": "Invalid symbol."}, status=400)
        return web.json_response([{"symbol": s, "price": prices[s]} for s in symbols])

    app = web.Application()
    app.router.add_get("/api/v3/ticker/price", ticker)
    return app


async def test_binance_fetch_reads_string_prices_exactly() -> None:
    seen: list[list[str]] = []
    async with serve(_binance_app(seen)) as base, aiohttp.ClientSession() as session:
        provider = BinanceProvider(base + "/", ["BNBUSDT", "SOLUSDT"])
        prices = await provider.fetch(session)
    assert prices == {"BNBUSDT": Decimal("612.34000000"), "SOLUSDT": Decimal("151.07000000")}
    assert seen == [["BNBUSDT", "SOLUSDT"]]


async def test_binance_error_object_is_reported() -> None:
    async with serve(_binance_app([])) as base, aiohttp.ClientSession() as session:
        with pytest.raises(ProviderError, match=r"HTTP 400, code -1121: Invalid symbol"):
            await BinanceProvider(base, ["DOGEKZT"]).fetch(session)


async def test_binance_without_symbols_makes_no_request() -> None:
    async with aiohttp.ClientSession() as session:
        assert await BinanceProvider("http://127.0.0.1:9", []).fetch(session) == {}


def test_binance_parser_never_produces_floats() -> None:
    prices = parse_binance(b'[{"symbol":"BNBUSDT","price":612.1234567890123456789}]')
    assert prices["BNBUSDT"] == Decimal("612.1234567890123456789")
    assert parse_binance(b'{"symbol":"X","price":"2"}') == {"X": Decimal(2)}


@pytest.mark.parametrize(
    "body",
    [b"<html>", b'{"code":-1}', b'[{"price":"1"}]', b'[{"symbol":"X","price":"-1"}]',
     b'[{"symbol":"X","price":"abc"}]', b'[{"symbol":"X"}]', b"7"],
)
def test_binance_parser_refuses_garbage(body: bytes) -> None:
    with pytest.raises(ProviderError, match="binance"):
        parse_binance(body)


async def test_fixed_provider_returns_a_copy() -> None:
    provider = FixedProvider({"BNB": Decimal("300000.00")})
    async with aiohttp.ClientSession() as session:
        first = await provider.fetch(session)
        first["BNB"] = Decimal(0)
        assert await provider.fetch(session) == {"BNB": Decimal("300000.00")}
