"""FX rates: providers (NBK, Binance, fixed), rules with spread/fallback/max age, the book.

Public contract:
    RATE_BOOK                 web.AppKey[RateBook]; set by `setup(app)` for the app's lifetime
    RateBook.quote(symbol)    -> Quote(symbol, rate, source, fetched_at); sync, no I/O;
                              raises RateUnavailable (503 rate_unavailable, param "BNB_KZT")
    units_for(kzt_tiyn, rate, decimals) -> int base units owed, rounded up
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from gateway.appkeys import SETTINGS
from gateway.rates.book import Quote, RateBook
from gateway.rates.errors import RateUnavailable
from gateway.rates.refresher import running_book
from gateway.rates.units import units_for

__all__ = ["RATE_BOOK", "Quote", "RateBook", "RateUnavailable", "setup", "units_for"]

RATE_BOOK = web.AppKey("rate_book", RateBook)


async def _rate_book_ctx(app: web.Application) -> AsyncIterator[None]:
    async with running_book(app[SETTINGS].rates) as book:
        app[RATE_BOOK] = book
        yield


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(_rate_book_ctx)
