"""Money in integer minor/base units: `Currency`, `Money`, the currency registry, `allocate`.

Every amount is an `int` of the currency's smallest unit (tiyn for KZT, wei for BNB Chain
assets, lamports for SOL, the mint's base unit for SPL tokens). Floats are refused everywhere,
including the constructor, because a float cannot hold 0.1 BNB or 2**256-1 wei exactly.
`Decimal` appears only at the edges (`to_decimal`) and text is parsed digit by digit, so no
value ever passes through a binary fraction.

Errors (all from `settlement.errors`): `InvalidAmount` (bad text, float, too many decimals,
out of range), `UnknownCurrency` (code not in the registry), `CurrencyMismatch` (arithmetic
or ordering across currencies).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from settlement.assets import ASSETS, FIAT_CODE, FIAT_DECIMALS, KZTE
from settlement.errors import CurrencyMismatch, InvalidAmount, UnknownCurrency

# The largest EVM uint256: token amounts on BNB Chain can legally reach it; numeric(78,0) holds it.
MAX_AMOUNT = 2**256 - 1
MAX_DECIMALS = 77
# ASCII digits only: str.isdigit() would accept Arabic-Indic or full-width digits.
_DECIMAL_TEXT = re.compile(r"(?P<whole>[0-9]+)(?:\.(?P<frac>[0-9]+))?", re.ASCII)
_CODE = re.compile(r"(?:[a-z][a-z0-9]*:)?[A-Za-z][A-Za-z0-9]*", re.ASCII)


def _require_int(value: object, what: str) -> int:
    # bool is an int subclass and Decimal/float look numeric; all are refused so that an
    # amount is always an exact integer chosen on purpose.
    if type(value) is not int:
        raise InvalidAmount(f"{what} must be an int of minor units, got {type(value).__name__}")
    return value


@dataclass(frozen=True, slots=True)
class Currency:
    """A currency or on-chain asset: `code` such as `KZT` or `bsc:USDT`, and its decimals.

    The chain is the prefix of the code before `:` (None for the fiat KZT) and the symbol the
    part after it.
    """

    code: str
    decimals: int

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not _CODE.fullmatch(self.code):
            raise UnknownCurrency(f"malformed currency code {self.code!r}")
        decimals = _require_int(self.decimals, "decimals")
        if not 0 <= decimals <= MAX_DECIMALS:
            raise InvalidAmount(f"decimals must be 0..{MAX_DECIMALS}, got {decimals}")

    @property
    def chain(self) -> str | None:
        chain, sep, _ = self.code.partition(":")
        return chain if sep else None

    @property
    def symbol(self) -> str:
        return self.code.rpartition(":")[2]

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount of one currency, in its smallest unit.

    Amounts may be negative (a signed balance, a difference); `parse` only accepts
    non-negative text because a price or a transfer is never negative.
    """

    amount: int
    currency: Currency

    def __post_init__(self) -> None:
        amount = _require_int(self.amount, "amount")
        if abs(amount) > MAX_AMOUNT:
            raise InvalidAmount(f"amount exceeds 2**256-1: {amount}")
        if not isinstance(self.currency, Currency):
            raise UnknownCurrency(f"not a Currency: {self.currency!r}")

    # -- construction --------------------------------------------------------------------
    @classmethod
    def zero(cls, currency: Currency) -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str, currency: Currency) -> Money:
        """Exact value of a plain decimal string: `Money.parse("0.1", BNB)` is 10**17 wei.

        Refused: non-strings, signs, exponents, spaces, empty text, a bare dot, more
        fractional digits than the currency has, and values above 2**256-1 units.
        """
        if not isinstance(text, str):
            raise InvalidAmount(f"amount text must be a str, got {type(text).__name__}")
        match = _DECIMAL_TEXT.fullmatch(text)
        if match is None:
            raise InvalidAmount(f"not a plain non-negative decimal: {text!r}")
        frac = match.group("frac") or ""
        if len(frac) > currency.decimals:
            raise InvalidAmount(
                f"{text!r} has {len(frac)} decimals; {currency.code} allows {currency.decimals}"
            )
        # Bound the length before int() so a megabyte of digits cannot burn CPU.
        digits = match.group("whole").lstrip("0") + frac.ljust(currency.decimals, "0")
        if len(digits.lstrip("0")) > 78:
            raise InvalidAmount(f"amount exceeds 2**256-1: {text!r}")
        return cls(int(digits or "0"), currency)

    # -- formatting ----------------------------------------------------------------------
    def format(self) -> str:
        """Plain decimal with all the currency's decimals (`"15000.00"`), never an exponent."""
        sign = "-" if self.amount < 0 else ""
        units = str(abs(self.amount))
        places = self.currency.decimals
        if places == 0:
            return sign + units
        units = units.rjust(places + 1, "0")
        return f"{sign}{units[:-places]}.{units[-places:]}"

    def format_trimmed(self) -> str:
        """Like `format` without trailing fractional zeros (`"0.1"`, `"15000"`)."""
        text = self.format()
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text

    def to_decimal(self) -> Decimal:
        """The exact value as a Decimal (built from digits, independent of context precision)."""
        sign = 1 if self.amount < 0 else 0
        digits = tuple(int(d) for d in str(abs(self.amount)))
        return Decimal((sign, digits, -self.currency.decimals))

    def __str__(self) -> str:
        return f"{self.format()} {self.currency.code}"

    # -- arithmetic ----------------------------------------------------------------------
    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise InvalidAmount(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency.code} vs {other.currency.code}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def allocate(self, weights: Sequence[int]) -> list[Money]:
        """Split into parts proportional to `weights` that add back to exactly this amount."""
        return [Money(part, self.currency) for part in allocate(self.amount, weights)]


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Largest-remainder split of `amount` by non-negative integer `weights`.

    Each part gets floor(amount * w / total); the units left over go one each to the parts
    with the largest remainders, ties to the earlier index, so the result is deterministic
    and always sums to `amount`. A zero weight always gets zero. Negative amounts split
    as the negation of the positive split.
    """
    _require_int(amount, "amount")
    if not weights:
        raise InvalidAmount("allocate needs at least one weight")
    for weight in weights:
        if _require_int(weight, "weight") < 0:
            raise InvalidAmount(f"weights must be non-negative, got {weight}")
    total = sum(weights)
    if total == 0:
        raise InvalidAmount("weights must not all be zero")
    if amount < 0:
        return [-part for part in allocate(-amount, weights)]
    parts = [amount * w // total for w in weights]
    remainders = [amount * w % total for w in weights]
    leftover = amount - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:leftover]:
        parts[i] += 1
    return parts


class CurrencyRegistry:
    """Currencies by code; lookups of unknown codes raise `UnknownCurrency`."""

    def __init__(self, currencies: Sequence[Currency]) -> None:
        self._by_code: dict[str, Currency] = {}
        for cur in currencies:
            if cur.code in self._by_code:
                raise UnknownCurrency(f"currency {cur.code} registered twice")
            self._by_code[cur.code] = cur

    def get(self, code: str) -> Currency:
        try:
            return self._by_code[code]
        except (KeyError, TypeError):
            raise UnknownCurrency(f"unknown currency {code!r}") from None

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[Currency]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def codes(self) -> list[str]:
        return list(self._by_code)


def build_registry(kzte_decimals: int = KZTE.decimals) -> CurrencyRegistry:
    """KZT and every asset of `settlement.assets`; KZTE's decimals follow the configured mint."""
    return CurrencyRegistry(
        [
            Currency(FIAT_CODE, FIAT_DECIMALS),
            *(Currency(asset.currency_code, asset.decimals_with(kzte_decimals))
              for asset in ASSETS.values()),
        ]
    )


DEFAULT_REGISTRY = build_registry()

KZT = DEFAULT_REGISTRY.get(FIAT_CODE)
BSC_BNB = DEFAULT_REGISTRY.get("bsc:BNB")
BSC_USDT = DEFAULT_REGISTRY.get("bsc:USDT")
BSC_USDC = DEFAULT_REGISTRY.get("bsc:USDC")
SOLANA_SOL = DEFAULT_REGISTRY.get("solana:SOL")
SOLANA_USDT = DEFAULT_REGISTRY.get("solana:USDT")
SOLANA_USDC = DEFAULT_REGISTRY.get("solana:USDC")


def currency(code: str, registry: CurrencyRegistry | None = None) -> Currency:
    """Look a currency up by code in `registry` (the default registry when None)."""
    return (DEFAULT_REGISTRY if registry is None else registry).get(code)
