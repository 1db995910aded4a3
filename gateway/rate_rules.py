"""Rate rules: how each asset's KZT-per-unit rate is computed from provider prices.

A leaf (imports only gateway.errors): gateway.config parses GATEWAY_RATE_RULES and
GATEWAY_RATES_FIXED with it, gateway.rates computes quotes with it.

Syntax of GATEWAY_RATE_RULES (rules separated by ";" or new lines; see docs/rates.md):

    SYMBOL = FORMULA [| FORMULA ...] [spread=BPS] [max_age=SECONDS]
    FORMULA = FACTOR [(* | /) FACTOR ...]     FACTOR = source:INSTRUMENT | decimal literal

    BNB = binance:BNBUSDT * nbk:USD | fixed:BNB  spread=100 max_age=300
    KZTE = 1

The first formula whose inputs are all present and younger than max_age is used; the others
are fallbacks. The spread (basis points) lowers the KZT-per-unit rate, so the shopper pays more
units: the operator's margin against price moves while the invoice is open.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from gateway.errors import ConfigError


class RateRuleError(ConfigError, ValueError):
    """A rate rule or fixed-rate list does not follow the documented syntax (a ValueError too,
    so the settings reader names the variable)."""


SOURCES = ("nbk", "binance", "fixed")
MAX_SPREAD_BPS = 5000
BPS = 10_000
DEFAULT_MAX_AGE_SECONDS = 300

_SYMBOL = re.compile(r"[A-Z][A-Z0-9]{0,15}")
_SOURCE_TERM = re.compile(r"(?P<source>[a-z]+):(?P<instrument>[A-Z0-9]{1,20})")
_LITERAL = re.compile(r"[0-9]+(\.[0-9]+)?")
_OPTION = re.compile(r"(?P<key>[a-z_]+)=(?P<value>\S+)")

DEFAULT_FIXED_RATES: tuple[tuple[str, Decimal], ...] = (
    ("BNB", Decimal("300000.00")),
    ("USDT", Decimal("500.00")),
    ("USDC", Decimal("500.00")),
    ("SOL", Decimal("75000.00")),
    ("KZTE", Decimal("1")),
)

# Live defaults have no fixed fallback on purpose: a fixed price never ages, so falling back to
# it in production would quote a made-up price. Operators opt in with "| fixed:SYM".
LIVE_RULES_TEXT = """
BNB = binance:BNBUSDT * nbk:USD  spread=100 max_age=300
SOL = binance:SOLUSDT * nbk:USD  spread=100 max_age=300
USDT = nbk:USD  spread=50 max_age=900
USDC = nbk:USD  spread=50 max_age=900
KZTE = 1
"""


@dataclass(frozen=True)
class Factor:
    """One term of a formula: a provider price or a literal; `divide` for "/" terms."""

    source: str | None
    instrument: str
    literal: Decimal | None = None
    divide: bool = False

    @property
    def text(self) -> str:
        return self.instrument if self.source is None else f"{self.source}:{self.instrument}"


@dataclass(frozen=True)
class Formula:
    """A product (and quotient) of factors, e.g. binance:BNBUSDT * nbk:USD."""

    factors: tuple[Factor, ...]

    @property
    def text(self) -> str:
        parts = [self.factors[0].text]
        for factor in self.factors[1:]:
            parts.append(f"{'/' if factor.divide else '*'} {factor.text}")
        return " ".join(parts)


@dataclass(frozen=True)
class RateRule:
    """How to compute SYMBOL_KZT: formulas in order of preference, spread and max age."""

    symbol: str
    formulas: tuple[Formula, ...]
    spread_bps: int = 0
    max_age_seconds: int = DEFAULT_MAX_AGE_SECONDS

    @property
    def pair(self) -> str:
        return f"{self.symbol}_KZT"

    @property
    def text(self) -> str:
        alternatives = " | ".join(f.text for f in self.formulas)
        return (
            f"{self.symbol} = {alternatives} spread={self.spread_bps} "
            f"max_age={self.max_age_seconds}"
        )


def _factor(token: str, divide: bool, rule: str) -> Factor:
    term = _SOURCE_TERM.fullmatch(token)
    if term:
        if term["source"] not in SOURCES:
            raise RateRuleError(
                f"unknown rate source {term['source']!r} in {rule!r}; "
                f"use one of {', '.join(SOURCES)}"
            )
        return Factor(term["source"], term["instrument"], divide=divide)
    if _LITERAL.fullmatch(token):
        value = Decimal(token)
        if value == 0:
            raise RateRuleError(f"a literal factor must be positive in {rule!r}")
        return Factor(None, token, literal=value, divide=divide)
    raise RateRuleError(f"expected source:INSTRUMENT or a number, got {token!r} in {rule!r}")


def _formula(tokens: list[str], rule: str) -> Formula:
    # tokens alternate: factor, operator, factor, ...
    for operator in tokens[1::2]:
        if operator not in ("*", "/"):
            raise RateRuleError(f"expected * or / between factors, got {operator!r} in {rule!r}")
    if not tokens or len(tokens) % 2 == 0:
        raise RateRuleError(f"incomplete formula in {rule!r}")
    factors = [_factor(tokens[0], False, rule)]
    for operator, token in zip(tokens[1::2], tokens[2::2], strict=True):
        factors.append(_factor(token, operator == "/", rule))
    return Formula(tuple(factors))


def _int_option(key: str, value: str, lo: int, hi: int, rule: str) -> int:
    if not value.isdigit() or not lo <= int(value) <= hi:
        raise RateRuleError(f"{key} must be an integer in {lo}..{hi}, got {value!r} in {rule!r}")
    return int(value)


def _options(tokens: list[str], rule: str) -> tuple[list[str], dict[str, int]]:
    options: dict[str, int] = {}
    rest = []
    for token in tokens:
        match = _OPTION.fullmatch(token)
        if not match:
            rest.append(token)
        elif match["key"] == "spread":
            options["spread"] = _int_option("spread", match["value"], 0, MAX_SPREAD_BPS, rule)
        elif match["key"] == "max_age":
            options["max_age"] = _int_option("max_age", match["value"], 1, 7 * 86400, rule)
        else:
            raise RateRuleError(f"unknown option {match['key']!r} in {rule!r}")
    return rest, options


def parse_rule(text: str) -> RateRule:
    """Parse one rule such as "SOL = binance:SOLUSDT * nbk:USD | fixed:SOL spread=100"."""
    symbol, sep, body = text.partition("=")
    symbol = symbol.strip()
    if not sep or not _SYMBOL.fullmatch(symbol):
        raise RateRuleError(f"a rule starts with an upper-case SYMBOL and '=', got {text!r}")
    spaced = re.sub(r"([*/|])", r" \1 ", body)
    tokens, options = _options(spaced.split(), text)
    formulas: list[Formula] = []
    current: list[str] = []
    for token in [*tokens, "|"]:
        if token == "|":
            formulas.append(_formula(current, text))
            current = []
        else:
            current.append(token)
    return RateRule(
        symbol=symbol,
        formulas=tuple(formulas),
        spread_bps=options.get("spread", 0),
        max_age_seconds=options.get("max_age", DEFAULT_MAX_AGE_SECONDS),
    )


def parse_rules(text: str) -> tuple[RateRule, ...]:
    """Parse a rule list (";" or newline separated); each symbol at most once."""
    rules: dict[str, RateRule] = {}
    for chunk in re.split(r"[;\n]", text):
        if not chunk.strip():
            continue
        rule = parse_rule(chunk)
        if rule.symbol in rules:
            raise RateRuleError(f"rate rule for {rule.symbol} is given twice")
        rules[rule.symbol] = rule
    return tuple(rules.values())


def parse_fixed_rates(text: str) -> tuple[tuple[str, Decimal], ...]:
    """"BNB=310000.50,SOL=80000": overrides merged over DEFAULT_FIXED_RATES."""
    rates = dict(DEFAULT_FIXED_RATES)
    for item in re.split(r"[,;\s]+", text.strip()):
        if not item:
            continue
        symbol, sep, raw = item.partition("=")
        if not sep or not _SYMBOL.fullmatch(symbol):
            raise RateRuleError(f"expected SYMBOL=RATE, got {item!r}")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise RateRuleError(f"rate for {symbol} is not a decimal: {raw!r}") from None
        if not value.is_finite() or value <= 0:
            raise RateRuleError(f"rate for {symbol} must be positive, got {raw!r}")
        rates[symbol] = value
    return tuple(rates.items())


def fixed_rules(fixed: Iterable[tuple[str, Decimal]]) -> tuple[RateRule, ...]:
    """Dev/offline rules: every symbol straight from the fixed provider, no spread."""
    return tuple(
        RateRule(symbol, (Formula((Factor("fixed", symbol),)),), 0, DEFAULT_MAX_AGE_SECONDS)
        for symbol, _ in fixed
    )


def effective_rules(
    mode: str, fixed: Iterable[tuple[str, Decimal]], overrides: Iterable[RateRule]
) -> tuple[RateRule, ...]:
    """The mode's defaults with GATEWAY_RATE_RULES overriding per symbol; checks fixed refs."""
    fixed_symbols = {symbol for symbol, _ in fixed}
    base = fixed_rules(fixed) if mode == "fixed" else parse_rules(LIVE_RULES_TEXT)
    merged: dict[str, RateRule] = {rule.symbol: rule for rule in base}
    merged.update({rule.symbol: rule for rule in overrides})
    for rule in merged.values():
        for formula in rule.formulas:
            for factor in formula.factors:
                if factor.source == "fixed" and factor.instrument not in fixed_symbols:
                    raise RateRuleError(
                        f"rule {rule.symbol} uses fixed:{factor.instrument}, which has no "
                        "fixed rate (add it to GATEWAY_RATES_FIXED)"
                    )
    return tuple(merged.values())


def instruments(rules: Iterable[RateRule], source: str) -> tuple[str, ...]:
    """Instruments of `source` that the rules need (e.g. Binance symbols to request)."""
    found = {
        factor.instrument
        for rule in rules
        for formula in rule.formulas
        for factor in formula.factors
        if factor.source == source
    }
    return tuple(sorted(found))

