"""The background task that keeps the rate book fresh.

Each round fetches every provider concurrently, each under its own timeout, and records what
arrived; a failing provider is logged and its old prices simply age out (the book then falls
back or answers RateUnavailable). The first round runs before the app serves, so the fixed
provider makes the book fresh at startup.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime

import aiohttp

from gateway.config import RatesSettings
from gateway.log import get_logger
from gateway.rate_rules import RateRule, effective_rules, instruments
from gateway.rates.book import RateBook, utc_now
from gateway.rates.errors import ProviderError
from gateway.rates.providers import BinanceProvider, FixedProvider, NbkProvider, RateProvider

log = get_logger(__name__)

USER_AGENT = "CryptoCityPay-rates/1"


class RateRefresher:
    """Fetches all providers into a book, once or every `interval` seconds."""

    def __init__(
        self,
        book: RateBook,
        providers: Sequence[RateProvider],
        *,
        timeout: float,  # float-ok
        interval: float,  # float-ok
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.book = book
        self.providers = tuple(providers)
        self.timeout = timeout
        self.interval = interval
        self._clock = clock

    async def _fetch_one(self, session: aiohttp.ClientSession, provider: RateProvider) -> None:
        bound = log.bind(provider=provider.name)
        try:
            async with asyncio.timeout(self.timeout):
                prices = await provider.fetch(session)
        except TimeoutError:
            error = f"no answer within {self.timeout:g} s"
        except ProviderError as exc:
            error = str(exc)
        except aiohttp.ClientError as exc:
            error = f"{type(exc).__name__}: {exc}"
        else:
            self.book.record(provider.name, prices, self._clock())
            bound.debug("rates_fetched", instruments=len(prices))
            return
        self.book.record_failure(provider.name, error)
        bound.warning("rates_fetch_failed", error=error)

    async def refresh_once(self, session: aiohttp.ClientSession) -> None:
        await asyncio.gather(*(self._fetch_one(session, p) for p in self.providers))

    async def run(self, session: aiohttp.ClientSession) -> None:
        """Refresh every `interval` seconds until cancelled; never dies of one bad round."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.refresh_once(session)
            except Exception:  # a bug in one round must not stop quoting for good
                log.exception("rates_refresh_crashed")


def rules_from_settings(settings: RatesSettings) -> tuple[RateRule, ...]:
    return effective_rules(settings.mode, settings.fixed, settings.rules)


def build_providers(settings: RatesSettings, rules: Sequence[RateRule]) -> list[RateProvider]:
    """Fixed always (cheap, and a possible fallback); NBK and Binance in live mode only."""
    providers: list[RateProvider] = [FixedProvider(settings.fixed)]
    if settings.mode == "live":
        if instruments(rules, "nbk"):
            providers.append(NbkProvider(settings.nbk_url))
        binance_symbols = instruments(rules, "binance")
        if binance_symbols:
            providers.append(BinanceProvider(settings.binance_url, binance_symbols))
    return providers


@contextlib.asynccontextmanager
async def running_book(settings: RatesSettings) -> AsyncIterator[RateBook]:
    """A fresh book kept up to date by a background task for the life of the context."""
    rules = rules_from_settings(settings)
    book = RateBook(rules)
    refresher = RateRefresher(
        book,
        build_providers(settings, rules),
        timeout=settings.timeout_seconds,
        interval=settings.refresh_seconds,
    )
    async with aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}) as session:
        await refresher.refresh_once(session)
        log.info("rates_ready", mode=settings.mode, symbols=list(book.symbols))
        task = asyncio.create_task(refresher.run(session), name="rates-refresher")
        try:
            yield book
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
