"""Rate providers behind one interface: NBK official rates, Binance spot, fixed rates.

Every price is a Decimal read from text (XML text, JSON strings): a float never touches a rate.
`fetch` raises ProviderError for answers we cannot use and lets aiohttp/timeout errors through;
the refresher maps those, so a provider stays a small, testable parser plus one GET.
"""

from __future__ import annotations

import decimal
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import aiohttp
from lxml import etree

from gateway.log import get_logger
from gateway.rates.errors import ProviderError

log = get_logger(__name__)

ALMATY = ZoneInfo("Asia/Almaty")
DEFAULT_NBK_URL = "https://nationalbank.kz/rss/get_rates.cfm?fdate={date}"
DEFAULT_BINANCE_URL = "https://api.binance.com"
_MAX_BODY = 1 << 20
# No DTDs, entities or network access: the feed is data, not a document to be resolved.
_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)


class RateProvider(Protocol):
    """A source of prices: instrument -> price (Decimal)."""

    name: str

    async def fetch(self, session: aiohttp.ClientSession) -> dict[str, Decimal]: ...


def _positive(text: str | None) -> Decimal | None:
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() and value > 0 else None


def _nbk_item(item: Any) -> tuple[str, Decimal] | None:
    code = (item.findtext("title") or "").strip()
    price = _positive(item.findtext("description"))
    quant = (item.findtext("quant") or "1").strip()
    if len(code) != 3 or not code.isalpha() or price is None or not quant.isdigit():
        return None
    if int(quant) == 0:
        return None
    with decimal.localcontext() as ctx:
        ctx.prec = 50
        # The feed quotes some currencies per 10/100/1000 units (<quant>): KZT per ONE unit.
        return code.upper(), price / int(quant)


def parse_nbk(body: bytes) -> dict[str, Decimal]:
    """KZT per one unit of each currency in an NBK rates XML document."""
    try:
        root = etree.fromstring(body, parser=_XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise ProviderError("nbk", f"feed is not well-formed XML: {exc}") from exc
    if root.tag != "rates":
        raise ProviderError("nbk", f"unexpected root element <{root.tag}>")
    rates: dict[str, Decimal] = {}
    for item in root.iter("item"):
        parsed = _nbk_item(item)
        if parsed is None:
            # One odd currency must not cost us USD: skip it, say so.
            log.warning("nbk_item_skipped", title=item.findtext("title"))
            continue
        rates[parsed[0]] = parsed[1]
    if not rates:
        raise ProviderError("nbk", "feed holds no usable rates (no <item> for the date?)")
    return rates


def parse_binance(body: bytes) -> dict[str, Decimal]:
    """Prices from a Binance `/api/v3/ticker/price` answer: [{"symbol","price"}, ...]."""
    try:
        data = json.loads(body, parse_float=Decimal, parse_int=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProviderError("binance", "ticker answer is not JSON") from exc
    if isinstance(data, dict):  # a single-symbol answer is one object
        data = [data]
    if not isinstance(data, list):
        raise ProviderError("binance", "ticker answer is not a list")
    prices: dict[str, Decimal] = {}
    for entry in data:
        if not isinstance(entry, dict) or not isinstance(entry.get("symbol"), str):
            raise ProviderError("binance", f"ticker entry without a symbol: {entry!r:.100}")
        price = _positive(str(entry.get("price", "")))
        if price is None:
            raise ProviderError("binance", f"bad price for {entry['symbol']}: {entry!r:.100}")
        prices[entry["symbol"]] = price
    return prices


def _binance_error(status: int, body: bytes) -> ProviderError:
    try:
        data = json.loads(body)
        detail = f"code {data.get('code')}: {data.get('msg')}"
    except (ValueError, AttributeError):
        detail = body[:200].decode("utf-8", "replace")
    return ProviderError("binance", f"HTTP {status}, {detail}")


async def _get(
    session: aiohttp.ClientSession, provider: str, url: str, **kwargs: Any
) -> tuple[int, bytes]:
    async with session.get(url, **kwargs) as response:
        body = await response.content.read(_MAX_BODY + 1)
        if len(body) > _MAX_BODY:
            raise ProviderError(provider, "answer is larger than 1 MiB")
        return response.status, body


class NbkProvider:
    """National Bank of Kazakhstan official rates for today's date in Almaty."""

    name = "nbk"

    def __init__(
        self, url: str = DEFAULT_NBK_URL, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.url = url
        self._clock = clock or (lambda: datetime.now(ALMATY))

    def url_for_today(self) -> str:
        return self.url.replace("{date}", self._clock().astimezone(ALMATY).strftime("%d.%m.%Y"))

    async def fetch(self, session: aiohttp.ClientSession) -> dict[str, Decimal]:
        status, body = await _get(session, "nbk", self.url_for_today())
        if status != 200:
            raise ProviderError("nbk", f"HTTP {status}")
        return parse_nbk(body)


class BinanceProvider:
    """Binance spot prices for the symbols the rules need, in one request."""

    name = "binance"

    def __init__(self, base_url: str = DEFAULT_BINANCE_URL, symbols: Iterable[str] = ()) -> None:
        self.base_url = base_url.rstrip("/")
        self.symbols = tuple(symbols)

    async def fetch(self, session: aiohttp.ClientSession) -> dict[str, Decimal]:
        if not self.symbols:
            return {}
        query = json.dumps(list(self.symbols), separators=(",", ":"))
        status, body = await _get(
            session, "binance", f"{self.base_url}/api/v3/ticker/price", params={"symbols": query}
        )
        if status != 200:
            raise _binance_error(status, body)
        prices = parse_binance(body)
        missing = set(self.symbols) - set(prices)
        if missing:
            raise ProviderError("binance", f"answer lacks {', '.join(sorted(missing))}")
        return prices


class FixedProvider:
    """Configured rates (dev default, offline use, explicit fallbacks)."""

    name = "fixed"

    def __init__(self, rates: Mapping[str, Decimal] | Iterable[tuple[str, Decimal]]) -> None:
        self.rates = dict(rates.items() if isinstance(rates, Mapping) else rates)

    async def fetch(self, session: aiohttp.ClientSession) -> dict[str, Decimal]:
        return dict(self.rates)
