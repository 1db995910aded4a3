"""Locking a quote per offered asset and turning it into a payment request (no I/O).

A quote locks the rate, its source and fetched-at, and the base units owed, rounded up
(`units_for`: the shopper never pays less than the tenge price). BNB Chain options all pay
the invoice's own deposit address; Solana options all pay the treasury and carry the
invoice's one reference key, by which the watcher recognises the payment.

URIs come from `UriTemplates`, built once per app: token contracts, mints and the treasury are
checked and checksummed there, not on every invoice (they were ~2/3 of the create path's CPU).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from gateway.invoices.catalog import Catalog, OfferedAsset
from gateway.invoices.models import PaymentOption
from gateway.payments.uri import Eip681Template, SolanaPayTemplate, solana_pay_tail
from gateway.rates import Quote, RateBook, units_for
from gateway.rates.book import utc_now

MAX_MESSAGE = 100  # keeps the Solana Pay URI (and so the QR code) small


@dataclass(frozen=True)
class LockedQuote:
    asset: OfferedAsset
    quote: Quote
    units: int


@dataclass(frozen=True)
class Targets:
    """Where this invoice is paid: one BNB Chain address, one Solana treasury + reference."""

    bsc_address: str | None
    solana_recipient: str | None
    solana_reference: str | None
    label: str
    message: str | None


class QuoteCache:
    """The book's quotes, reused while the book's prices are unchanged and the quote is fresh.

    `RateBook.quote` recomputes a formula with Decimal contexts on every call (5 symbols per
    invoice). With the same snapshots (identified by each source's fetched-at) the book would
    answer the same quote until the chosen formula's oldest input passes the rule's max age,
    so that moment is this entry's deadline: a stale rate is still never used, and a refresh
    is seen by the very next invoice. Refusals (RateUnavailable) are not cached.
    """

    def __init__(self, book: RateBook, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.book = book
        self._clock = clock
        self._max_age = {rule.symbol: timedelta(seconds=rule.max_age_seconds)
                         for rule in book.rules}
        self._version: tuple[tuple[str, datetime | None], ...] = ()
        self._quotes: dict[str, tuple[Quote, datetime]] = {}

    def _current(self) -> None:
        version = tuple((status.source, status.fetched_at) for status in self.book.status())
        if version != self._version:
            self._version, self._quotes = version, {}

    def quote(self, symbol: str, now: datetime) -> Quote:
        cached = self._quotes.get(symbol)
        if cached is not None and now < cached[1]:
            return cached[0]
        quote = self.book.quote(symbol)
        max_age = self._max_age.get(symbol)
        if max_age is not None:
            self._quotes[symbol] = (quote, quote.fetched_at + max_age)
        return quote

    def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """A quote per distinct symbol, in order (raises RateUnavailable for the first stale)."""
        self._current()
        now = self._clock()
        return {symbol: self.quote(symbol, now) for symbol in dict.fromkeys(symbols)}


def lock_quotes(quotes: QuoteCache, assets: Sequence[OfferedAsset],
                amount: int) -> list[LockedQuote]:
    """One quote per asset (raises RateUnavailable naming the first stale pair)."""
    by_symbol = quotes.quotes([asset.spec.symbol for asset in assets])
    return [
        LockedQuote(asset, quote, units_for(amount, quote.rate, asset.decimals))
        for asset, quote in ((a, by_symbol[a.spec.symbol]) for a in assets)
    ]


class UriTemplates:
    """The payment request URI template of every offered asset of a catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self._bsc: dict[str, Eip681Template] = {}
        self._solana: dict[str, SolanaPayTemplate] = {}
        for asset_id, asset in catalog.assets.items():
            if asset.spec.chain == "bsc":
                self._bsc[asset_id] = Eip681Template(asset.token, catalog.bsc_chain_id)
            else:
                assert catalog.treasury is not None  # build_catalog sets it for Solana assets
                self._solana[asset_id] = SolanaPayTemplate(catalog.treasury, asset.token,
                                                           asset.decimals)

    def uri(self, locked: LockedQuote, targets: Targets, solana_tail: str) -> str:
        asset_id = locked.asset.spec.id
        bsc = self._bsc.get(asset_id)
        if bsc is not None:
            assert targets.bsc_address is not None
            return bsc.uri(targets.bsc_address, locked.units)
        assert targets.solana_reference is not None
        return self._solana[asset_id].uri(locked.units, targets.solana_reference, solana_tail)


def build_options(locked: Sequence[LockedQuote], targets: Targets,
                  uris: UriTemplates) -> tuple[PaymentOption, ...]:
    # Label and message are the same in every Solana option: URL-encoded once.
    tail = solana_pay_tail(targets.label or None, targets.message or None)
    return tuple(
        PaymentOption(
            asset_id=item.asset.spec.id, chain=item.asset.spec.chain,
            symbol=item.asset.spec.symbol, token=item.asset.token,
            decimals=item.asset.decimals, amount_units=item.units, rate=item.quote.rate,
            rate_source=item.quote.source, rate_fetched_at=item.quote.fetched_at,
            uri=uris.uri(item, targets, tail),
        )
        for item in locked
    )


def message_for(description: str | None, order_id: str | None) -> str | None:
    text = description or (f"Order {order_id}" if order_id else None)
    return text[:MAX_MESSAGE] if text else None


def remaining_units(amount_units: int, rate: Decimal, decimals: int, *,
                    amount: int, amount_paid: int) -> int:
    """Base units of a locked quote still owed after `amount_paid` tiyn: the remaining tiyn at
    the locked rate, rounded UP like the quote itself, never more than the full quote. The
    checkout page and the live stream both show this figure, so they always agree."""
    if amount_paid <= 0:
        return amount_units
    remaining = max(amount - amount_paid, 0)
    return min(units_for(remaining, rate, decimals), amount_units) if remaining else 0
