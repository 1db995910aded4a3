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
from settlement.assets import ASSETS

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


def asset_amount(units: int, asset_id: str) -> str:
    """Base units in the asset's own units with its symbol: "0.005 BNB"."""
    asset = ASSETS.get(asset_id)
    if asset is None:
        return str(units)
    return f"{format_units(int(units), asset.decimals)} {asset.symbol}"


def asset_label(asset_id: str) -> str:
    """An asset id as people name it: "USDT_BSC" -> "USDT · bsc" (unknown ids as they are)."""
    asset = ASSETS.get(asset_id)
    return asset_id if asset is None else f"{asset.symbol} · {asset.chain}"
