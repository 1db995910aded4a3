"""The rate book: rule evaluation, spread, fallbacks, staleness and the refresher."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import aiohttp
import pytest
from aiohttp import web

from gateway.errors import ServiceUnavailable
from gateway.rate_rules import parse_rules
from gateway.rates.book import RateBook
from gateway.rates.errors import ProviderError, RateUnavailable
from gateway.rates.providers import BinanceProvider, FixedProvider, RateProvider
from gateway.rates.refresher import RateRefresher
from tests.plugins.clock import T0, FakeClock
from tests.plugins.eventually import eventually
from tests.plugins.local_server import serve
from tests.rates.support import started_book


def _book(rules: str, clock: FakeClock) -> RateBook:
    return RateBook(parse_rules(rules), clock=clock)


def test_rule_product_with_spread_lowers_the_rate() -> None:
    clock = FakeClock()
    book = _book("BNB = binance:BNBUSDT * nbk:USD spread=100 max_age=300", clock)
    book.record("binance", {"BNBUSDT": Decimal("612.34000000")}, T0 - timedelta(seconds=10))
    book.record("nbk", {"USD": Decimal("447.79")}, T0 - timedelta(seconds=50))
    quote = book.quote("BNB")
    # 612.34 * 447.79 = 274199.7286; minus 1 % = 271457.731314
    assert quote.rate == Decimal("271457.731314")
    assert quote.source == "binance:BNBUSDT * nbk:USD"
    assert quote.fetched_at == T0 - timedelta(seconds=50)  # the oldest input
    assert quote.pair == "BNB_KZT"


def test_constant_rule_is_exactly_one_and_always_fresh() -> None:
    clock = FakeClock()
    quote = _book("KZTE = 1", clock).quote("KZTE")
    assert quote.rate == 1
    assert str(quote.rate) == "1"
    assert quote.fetched_at == T0


def test_division_is_cut_to_twelve_places_rounding_down() -> None:
    clock = FakeClock()
    book = _book("X = fixed:A / 3", clock)
    book.record("fixed", {"A": Decimal(1)}, T0)
    assert book.quote("X").rate == Decimal("0.333333333333")


def test_falls_back_when_the_first_formula_is_stale() -> None:
    clock = FakeClock()
    book = _book("SOL = binance:SOLUSDT * nbk:USD | fixed:SOL spread=50 max_age=60", clock)
    book.record("binance", {"SOLUSDT": Decimal("151.07")}, T0)
    book.record("nbk", {"USD": Decimal("447.79")}, T0)
    book.record("fixed", {"SOL": Decimal("75000.00")}, T0)
    assert book.quote("SOL").source == "binance:SOLUSDT * nbk:USD"
    clock.now = T0 + timedelta(seconds=61)
    book.record("fixed", {"SOL": Decimal("75000.00")}, clock.now)
    quote = book.quote("SOL")
    assert (quote.source, quote.rate) == ("fixed:SOL", Decimal("74625"))


def test_stale_rate_is_never_quoted_and_the_error_names_the_pair() -> None:
    clock = FakeClock()
    book = _book("BNB = binance:BNBUSDT * nbk:USD max_age=300", clock)
    book.record("binance", {"BNBUSDT": Decimal(600)}, T0)
    book.record("nbk", {"USD": Decimal(450)}, T0)
    clock.now = T0 + timedelta(seconds=300)
    assert book.quote("BNB").rate == Decimal(270000)  # exactly at the limit is still fresh
    clock.now = T0 + timedelta(seconds=301)
    with pytest.raises(RateUnavailable) as caught:
        book.quote("BNB")
    error = caught.value
    assert isinstance(error, ServiceUnavailable)
    assert error.status == 503
    assert error.body()["error"]["code"] == "rate_unavailable"
    assert error.body()["error"]["param"] == "BNB_KZT"
    assert "BNB_KZT" in error.message
    assert "301 s old (limit 300 s)" in error.message


def test_missing_inputs_and_unknown_symbols() -> None:
    clock = FakeClock()
    book = _book("USDT = nbk:USD", clock)
    with pytest.raises(RateUnavailable, match="nbk:USD has no price"):
        book.quote("USDT")
    book.record("nbk", {"EUR": Decimal(480)}, T0)
    with pytest.raises(RateUnavailable, match="nbk:USD has no price"):
        book.quote("USDT")
    with pytest.raises(RateUnavailable, match="DOGE_KZT"):
        book.quote("DOGE")
    outcomes = book.quotes()
    assert isinstance(outcomes["USDT"], RateUnavailable)


class _Failing:
    name = "binance"

    async def fetch(self, session: aiohttp.ClientSession) -> dict[str, Decimal]:
        raise ProviderError("binance", "HTTP 418")


class _Hanging:
    name = "nbk"

    async def fetch(self, session: aiohttp.ClientSession) -> dict[str, Decimal]:
        await asyncio.sleep(30)
        return {}


async def test_refresher_survives_errors_and_timeouts_and_falls_back() -> None:
    clock = FakeClock()
    book = _book("BNB = binance:BNBUSDT * nbk:USD | fixed:BNB spread=100", clock)
    fixed = FixedProvider({"BNB": Decimal("300000.00")})
    providers: list[RateProvider] = [_Failing(), _Hanging(), fixed]
    refresher = RateRefresher(book, providers, timeout=0.05, interval=60, clock=clock)
    async with aiohttp.ClientSession() as session:
        await refresher.refresh_once(session)
    quote = book.quote("BNB")
    assert (quote.source, quote.rate) == ("fixed:BNB", Decimal(297000))
    errors = {s.source: s.last_error for s in book.status()}
    assert errors == {"binance": "binance: HTTP 418", "nbk": "no answer within 0.05 s",
                      "fixed": None}


async def test_refresher_against_a_local_binance_keeps_old_prices_on_failure() -> None:
    clock = FakeClock()
    state = {"up": True}

    async def ticker(request: web.Request) -> web.Response:
        if not state["up"]:
            return web.Response(status=503, text="maintenance")
        return web.json_response([{"symbol": "BNBUSDT", "price": "600.00000000"}])

    app = web.Application()
    app.router.add_get("/api/v3/ticker/price", ticker)
    book = _book("BNB = binance:BNBUSDT * 450 max_age=60", clock)
    async with serve(app) as base, aiohttp.ClientSession() as session:
        refresher = RateRefresher(book, [BinanceProvider(base, ["BNBUSDT"])], timeout=5,
                                  interval=60, clock=clock)
        await refresher.refresh_once(session)
        assert book.quote("BNB").rate == Decimal(270000)
        state["up"] = False
        clock.now = T0 + timedelta(seconds=30)
        await refresher.refresh_once(session)
        assert book.quote("BNB").fetched_at == T0  # old price kept while still fresh
        clock.now = T0 + timedelta(seconds=61)
        with pytest.raises(RateUnavailable, match="BNB_KZT"):
            book.quote("BNB")
    assert "HTTP 503" in (book.status()[0].last_error or "")


async def test_refresher_loop_refreshes_periodically() -> None:
    calls: list[int] = []

    class Counting:
        name = "fixed"

        async def fetch(self, session: aiohttp.ClientSession) -> dict[str, Decimal]:
            calls.append(1)
            return {"BNB": Decimal(1)}

    book = RateBook(parse_rules("BNB = fixed:BNB"))
    refresher = RateRefresher(book, [Counting()], timeout=1, interval=0.01)
    async with aiohttp.ClientSession() as session:
        task = asyncio.create_task(refresher.run(session))

        async def refreshed_thrice() -> bool:
            return len(calls) >= 3

        await eventually(refreshed_thrice, what="three refreshes")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert len(calls) >= 3


async def test_setup_makes_the_book_fresh_at_startup_in_fixed_mode() -> None:
    async with started_book({"GATEWAY_RATES_FIXED": "SOL=80000.5"}) as book:
        assert book.quote("BNB").rate == Decimal(300000)
        assert book.quote("SOL").rate == Decimal("80000.5")
        assert book.quote("KZTE").rate == 1
        assert set(book.symbols) == {"BNB", "USDT", "USDC", "SOL", "KZTE"}
