"""How values read in the console (Jinja filters; plain text, the templates escape it).

Money is formatted from integers only: tiyn with divmod, crypto base units with the asset's
decimals from the settlement registry (shown exactly, never rounded through a float).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from zoneinfo import ZoneInfo

from gateway.checkout.formatting import (
    ALMATY,
    asset_label,
    format_crypto,
    format_rate,
    group_thousands,
)
from settlement.assets import ASSETS
from settlement.errors import UnknownCurrency
from settlement.money import Money, currency


def kzt(tiyn: int | None) -> str:
    """12345678 -> "123 456.78 ₸"."""
    if tiyn is None:
        return ""
    value = int(tiyn)
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 100)
    return f"{sign}{group_thousands(str(whole))}.{frac:02d}\u00a0₸"


def timestamp(value: datetime | date | str | None, zone: tzinfo = ALMATY) -> str:
    """A moment (or its ISO text, as JSON-shaped results carry it) as wall-clock time in the
    zone's business time zone (named once per page, in the footer: `zone_label`); a date as
    it is."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    return value.isoformat()


def zone_label(zone: ZoneInfo, at: datetime) -> str:
    """The zone and its offset at `at`: "Asia/Almaty (UTC+5)"."""
    offset = at.astimezone(zone).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{zone.key} (UTC{sign}{hours}{f':{rest:02d}' if rest else ''})"


def currency_code(asset: str, chain: str | None = None) -> str:
    """An invoice asset id (USDT_BSC) or currency code (bsc:USDT) as a currency code."""
    if asset in ASSETS:
        return ASSETS[asset].currency_code
    if ":" in asset or chain is None:
        return asset
    return f"{chain}:{asset}"


def units(amount: Any, asset: str, chain: str | None = None) -> str:
    """Base units in the asset's whole units with its symbol: (1500000, "USDT_SOL") ->
    "1.5 USDT"; unknown assets show raw base units."""
    code = currency_code(asset, chain)
    value = int(amount)
    try:
        cur = currency(code)
    except UnknownCurrency:
        return f"{value} base units {asset}"
    return f"{format_crypto(value, cur.decimals)} {code.partition(':')[2] or code}"


def amount_in(value: int | str | None, code: str | None) -> str:
    """A ledger or chain amount in its currency: "KZT" as tenge, a crypto code ("bsc:USDT")
    in the coin's units; without a known currency, the number as it is."""
    if value is None or value == "":
        return ""
    whole = _whole_number(value)
    if whole is None:
        return str(value)
    if code == "KZT":
        return kzt(whole)
    try:
        currency(code or "")
    except UnknownCurrency:
        return str(value)
    return units(whole, code or "")


def _whole_number(value: int | str) -> int | None:
    """An integer, or its text in any exact form ("12", "5.1000E+20" as stored JSON numbers
    come back); None when it is not a whole number."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return int(number) if number.is_finite() and number == number.to_integral_value() else None


def money(value: Money) -> str:
    """A ledger amount in its own currency, exact."""
    if value.currency.code == "KZT":
        return kzt(value.amount)
    return f"{format_crypto(value.amount, value.currency.decimals)} {value.currency}"


def bps(value: int) -> str:
    """Basis points as a percentage: 150 -> "1.50 %"."""
    whole, frac = divmod(int(value), 100)
    return f"{whole}.{frac:02d}\u00a0%"


def pretty_json(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def changes(before: Any, after: Any) -> list[tuple[str, str, str]]:
    """(field, before, after) for each top-level field that differs between two JSON objects;
    empty unless both are objects."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    return [(key, _short(before.get(key)), _short(after.get(key)))
            for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]


def _short(value: Any) -> str:
    return "—" if value is None else json.dumps(value, ensure_ascii=False, default=str)


FILTERS: Final[dict[str, Callable[..., Any]]] = {
    "kzt": kzt, "ts": timestamp, "units": units, "money": money, "bps": bps, "rate": format_rate,
    "amount_in": amount_in, "asset_label": asset_label,
    "json": pretty_json, "changes": changes,
}
