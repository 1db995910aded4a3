"""Live mode end to end: `setup(app)` against local NBK and Binance servers in real formats."""

from __future__ import annotations

import json
from decimal import Decimal

from aiohttp import web

from gateway.rates.errors import RateUnavailable
from tests.plugins.local_server import serve
from tests.rates.support import started_book

# The real feed's shape (see tests/fixtures/nbk_sample.xml), with the USD line the rules need.
NBK_WITH_USD = """<?xml version="1.0" encoding="utf-8"?>
<rates>
        <generator>Alternate RSS Builder</generator>
        <title>Official exchange rates of National Bank of Republic Kazakhstan</title>
        <date>06.05.2024</date>
        <item>
                <fullname>ДОЛЛАР США</fullname>
                <title>USD</title>
                <description>441.04</description>
                <quant>1</quant>
                <index>DOWN</index>
                <change>-1.10</change>
        </item>
</rates>
""".encode()


def _feeds() -> web.Application:
    async def nbk(request: web.Request) -> web.Response:
        return web.Response(body=NBK_WITH_USD, content_type="text/xml")

    async def ticker(request: web.Request) -> web.Response:
        symbols = json.loads(request.query["symbols"])
        prices = {"BNBUSDT": "580.12000000", "SOLUSDT": "145.50000000"}
        return web.json_response([{"symbol": s, "price": prices[s]} for s in symbols])

    app = web.Application()
    app.router.add_get("/rss/get_rates.cfm", nbk)
    app.router.add_get("/api/v3/ticker/price", ticker)
    return app


async def test_live_mode_quotes_from_local_feeds_with_spreads() -> None:
    async with serve(_feeds()) as base:
        env = {
            "GATEWAY_RATES_MODE": "live",
            "GATEWAY_NBK_URL": f"{base}/rss/get_rates.cfm?fdate={{date}}",
            "GATEWAY_BINANCE_URL": base,
            "GATEWAY_RATE_RULES": "USDC = nbk:USD | fixed:USDC spread=25; DOGE = fixed:DOGE",
            "GATEWAY_RATES_FIXED": "DOGE=70",
        }
        async with started_book(env) as book:
            # 580.12 * 441.04 = 255856.1248, minus 100 bps
            assert book.quote("BNB").rate == Decimal("253297.563552")
            assert book.quote("SOL").rate == Decimal("63529.6068")  # 145.5 * 441.04 * 0.99
            assert book.quote("USDT").rate == Decimal("438.8348")  # 441.04 * 0.995
            assert book.quote("USDC").rate == Decimal("439.9374")  # 441.04 * 0.9975
            assert book.quote("KZTE").rate == 1
            assert book.quote("DOGE").source == "fixed:DOGE"


async def test_live_mode_without_reachable_feeds_refuses_to_quote() -> None:
    env = {
        "GATEWAY_RATES_MODE": "live",
        "GATEWAY_NBK_URL": "http://127.0.0.1:9/nbk?fdate={date}",
        "GATEWAY_BINANCE_URL": "http://127.0.0.1:9",
        "GATEWAY_RATES_TIMEOUT_SECONDS": "2",
    }
    async with started_book(env) as book:
        for symbol in ("BNB", "SOL", "USDT"):
            try:
                book.quote(symbol)
            except RateUnavailable as exc:
                assert exc.param == f"{symbol}_KZT"
            else:
                raise AssertionError(f"{symbol} was quoted without a fresh rate")
        assert book.quote("KZTE").rate == 1
