"""How amounts and times read to people (pure text, no HTML): the one module of figures of
the checkout page, the merchant portal and point of sale, and the zone console's filters.

Tenge: thin-space (U+2009) thousands groups and always two decimals, e.g. "12 345,00" in
kk/ru and "12 345.00" in en. Integers only: tiyn are split with divmod, never a float.
The browser script formats live updates the same way (static/checkout.js `formatKzt`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from gateway.payments.amounts import format_units
from settlement.assets import ASSETS, CHAINS, Asset

THIN_SPACE: Final = "\u2009"
KZT_SIGN: Final = "₸"
ALMATY: Final = ZoneInfo("Asia/Almaty")  # the zone's business time (SETTLEMENT_TIMEZONE default)


def group_thousands(digits: str) -> str:
    """"1234567" -> "1 234 567" with thin spaces."""
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]
    return THIN_SPACE.join(groups)


def format_kzt(tiyn: int, decimal_separator: str) -> str:
    """Tiyn as tenge text with the sign: (1234567, ",") -> "12 345,67 ₸"."""
    sign = "-" if tiyn < 0 else ""
    whole, frac = divmod(abs(tiyn), 100)
    return f"{sign}{group_thousands(str(whole))}{decimal_separator}{frac:02d}\u00a0{KZT_SIGN}"


def format_rate(rate: Decimal, symbol: str, decimal_separator: str = ".") -> str:
    """A locked rate as people read it, exact (no exponent, no float):
    (Decimal("3.0E+5"), "BNB") -> "1 BNB = 300 000 ₸"; (Decimal("505.250"), "USDT", ",") ->
    "1 USDT = 505,25 ₸"."""
    whole, _, frac = format(rate.normalize(), "f").partition(".")
    sign = "-" if whole.startswith("-") else ""
    text = group_thousands(whole.lstrip("-")) + (decimal_separator + frac if frac else "")
    return f"1 {symbol} = {sign}{text}\u00a0{KZT_SIGN}"


def format_countdown(seconds: int) -> str:
    """Seconds left as "m:ss" (or "h:mm:ss" from an hour up); never negative."""
    seconds = max(seconds, 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def almaty(value: datetime | None) -> str:
    """A time as Almaty wall-clock text (the zone is named once per page, not per cell)."""
    return "" if value is None else value.astimezone(ALMATY).strftime("%Y-%m-%d %H:%M")


def group_fraction(digits: str) -> str:
    """Decimals in threes from the point, "041666666666666667" -> "041 666 666 666 666 667";
    up to four digits stay whole ("0.0055"), as a group of one would read oddly."""
    if len(digits) <= 4:
        return digits
    return THIN_SPACE.join(digits[i:i + 3] for i in range(0, len(digits), 3))


def format_crypto(units: int, decimals: int) -> str:
    """Base units as the coin's units, exact and grouped for reading (never for copying into
    a wallet: the payment URI and copy buttons carry `format_units`):
    (1_234_500_000, 6) -> "1 234.5"."""
    sign = "-" if units < 0 else ""
    whole, _, frac = format_units(abs(units), decimals).partition(".")
    return f"{sign}{group_thousands(whole)}{'.' + group_fraction(frac) if frac else ''}"


def find_asset(asset: str, chain: str | None = None) -> Asset | None:
    """The asset an id ("USDT_BSC"), a currency code ("bsc:USDT") or a chain's own symbol with
    its chain ("USDT", "bsc": as chain transfers name it) stands for; None if unknown."""
    if asset in ASSETS:
        return ASSETS[asset]
    code = asset if ":" in asset or chain is None else f"{chain}:{asset}"
    return next((a for a in ASSETS.values() if a.currency_code == code), None)


def asset_amount(units: int, asset: str, chain: str | None = None) -> str:
    """Base units in the asset's own units with its symbol: "0.005 BNB" (unknown assets: the
    number as it is)."""
    found = find_asset(asset, chain)
    if found is None:
        return str(units)
    return f"{format_crypto(int(units), found.decimals)} {found.symbol}"


def network(chain: str) -> str:
    """A chain id as people name the network: "bsc" -> "BNB Chain" (unknown ids as they are)."""
    found = CHAINS.get(chain)
    return chain if found is None else found.name


def asset_label(asset: str, chain: str | None = None) -> str:
    """An asset as people name it, its symbol and network: "USDT_BSC" -> "USDT · BNB Chain"
    (unknown assets as they are)."""
    found = find_asset(asset, chain)
    return asset if found is None else f"{found.symbol} · {CHAINS[found.chain].name}"
