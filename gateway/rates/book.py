"""The in-memory rate book: latest provider prices and synchronous quotes from the rules.

`quote()` is on the invoice-create hot path, so it does no I/O: the refresher task records
provider prices here, and a quote evaluates the symbol's rule against them (a few Decimal
multiplications). A value older than its rule's max age is never quoted.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from gateway.rate_rules import BPS, Formula, RateRule
from gateway.rates.errors import RateUnavailable

# Enough digits that products of provider prices are exact; quotients are cut below.
_PRECISION = 100
# Rates are kept to 12 decimal places, rounded down (a lower rate means more units owed).
_RATE_QUANTUM = Decimal("1e-12")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Quote:
    """A rate to book an invoice at: KZT per whole unit of `symbol`."""

    symbol: str
    rate: Decimal
    source: str
    fetched_at: datetime

    @property
    def pair(self) -> str:
        return f"{self.symbol}_KZT"


@dataclass(frozen=True)
class Snapshot:
    """One provider's prices from one successful fetch."""

    source: str
    prices: Mapping[str, Decimal]
    fetched_at: datetime


@dataclass(frozen=True)
class SourceStatus:
    """For status pages: when a source last succeeded and its last error, if any."""

    source: str
    fetched_at: datetime | None
    instruments: int
    last_error: str | None


def _tidy(value: Decimal) -> Decimal:
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -12:
        value = value.quantize(_RATE_QUANTUM, rounding=decimal.ROUND_DOWN)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


class RateBook:
    """Latest provider snapshots plus the rules that turn them into KZT rates."""

    def __init__(
        self, rules: Iterable[RateRule], *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._rules = {rule.symbol: rule for rule in rules}
        self._clock = clock
        self._snapshots: dict[str, Snapshot] = {}
        self._errors: dict[str, str] = {}

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self._rules)

    @property
    def rules(self) -> tuple[RateRule, ...]:
        return tuple(self._rules.values())

    def record(self, source: str, prices: Mapping[str, Decimal], fetched_at: datetime) -> None:
        """Replace `source`'s prices with a fresh fetch (instruments not in it disappear)."""
        self._snapshots[source] = Snapshot(source, dict(prices), fetched_at)
        self._errors.pop(source, None)

    def record_failure(self, source: str, error: str) -> None:
        """Note a failed fetch; the previous prices stay until they age out."""
        self._errors[source] = error

    def status(self) -> list[SourceStatus]:
        sources = sorted(set(self._snapshots) | set(self._errors))
        return [
            SourceStatus(
                source,
                self._snapshots[source].fetched_at if source in self._snapshots else None,
                len(self._snapshots[source].prices) if source in self._snapshots else 0,
                self._errors.get(source),
            )
            for source in sources
        ]

    def quote(self, symbol: str) -> Quote:
        """The current rate for `symbol`; RateUnavailable (naming the pair) when none is fresh."""
        rule = self._rules.get(symbol)
        if rule is None:
            raise RateUnavailable(f"{symbol}_KZT", "no rate rule is configured for it")
        now = self._clock()
        reasons: list[str] = []
        for formula in rule.formulas:
            found = self._evaluate(formula, rule, now, reasons)
            if found is not None:
                rate, fetched_at = found
                return Quote(symbol, _apply_spread(rate, rule.spread_bps), formula.text, fetched_at)
        raise RateUnavailable(rule.pair, "; ".join(reasons))

    def quotes(self) -> dict[str, Quote | RateUnavailable]:
        """Every configured symbol's quote or the error explaining why there is none."""
        result: dict[str, Quote | RateUnavailable] = {}
        for symbol in self._rules:
            try:
                result[symbol] = self.quote(symbol)
            except RateUnavailable as exc:
                result[symbol] = exc
        return result

    def _evaluate(
        self, formula: Formula, rule: RateRule, now: datetime, reasons: list[str]
    ) -> tuple[Decimal, datetime] | None:
        max_age = timedelta(seconds=rule.max_age_seconds)
        with decimal.localcontext() as ctx:
            ctx.prec = _PRECISION
            value = Decimal(1)
            oldest = now
            for factor in formula.factors:
                if factor.literal is not None:  # a constant such as KZTE's 1 never ages
                    value = value / factor.literal if factor.divide else value * factor.literal
                    continue
                price, fetched_at = self._input(factor.source, factor.instrument)
                if price is None or fetched_at is None:
                    reasons.append(f"{factor.text} has no price")
                    return None
                age = now - fetched_at
                if age > max_age:
                    reasons.append(
                        f"{factor.text} is {int(age.total_seconds())} s old "
                        f"(limit {rule.max_age_seconds} s)"
                    )
                    return None
                value = value / price if factor.divide else value * price
                oldest = min(oldest, fetched_at)
        return value, oldest

    def _input(
        self, source: str | None, instrument: str
    ) -> tuple[Decimal | None, datetime | None]:
        snapshot = self._snapshots.get(source) if source else None
        if snapshot is None:
            return None, None
        return snapshot.prices.get(instrument), snapshot.fetched_at


def _apply_spread(rate: Decimal, spread_bps: int) -> Decimal:
    with decimal.localcontext() as ctx:
        ctx.prec = _PRECISION
        return _tidy(rate * (BPS - spread_bps) / BPS)
