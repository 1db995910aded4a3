"""Parsing and validating the body of `POST /v1/invoices` (every refusal names its param).

Codes: `unknown_parameter`, `missing_parameter`, `invalid_type`, `parameter_out_of_range`,
`unsupported_currency`, `unknown_asset`, `invalid_metadata`, `invalid_url`, `invalid_string`.
Numbers with a fraction or exponent arrive as `FloatInBody` text (gateway.http.json), so
`1.5` and `100.0` are refused as non-integers and no amount ever passes through a float.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from gateway.config import Settings
from gateway.errors import InvalidRequest
from gateway.invoices.errors import UnknownAsset
from gateway.merchants.defaults import InvoiceDefaults
from settlement.assets import ASSETS

FIELDS = frozenset({"amount", "currency", "order_id", "description", "metadata", "expires_in",
                    "assets", "redirect_url"})
CURRENCIES = ("KZT",)
MIN_EXPIRES_IN = 60
MAX_ORDER_ID = 200
MAX_DESCRIPTION = 1000
MAX_URL = 2000
MAX_UNIX_DIGITS = 20  # created[gte]/[lte] in unix seconds: longer is no time
METADATA_MAX_KEYS = 20
METADATA_MAX_KEY = 40
METADATA_MAX_VALUE = 500


@dataclass(frozen=True)
class Limits:
    max_amount: int
    default_expires_in: int
    max_expires_in: int
    assets: tuple[str, ...]
    # The cap when the invoice offers a volatile asset (settlement.assets.Asset.volatile).
    volatile_max_expires_in: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(settings.invoice_max_amount, settings.invoice_expires_in,
                   settings.invoice_max_expires_in, settings.invoice_assets,
                   settings.invoice_volatile_max_expires_in)

    def expires_cap(self, assets: tuple[str, ...]) -> int:
        volatile = [a for a in assets if a in ASSETS and ASSETS[a].volatile]
        if volatile and self.volatile_max_expires_in is not None:
            return min(self.max_expires_in, self.volatile_max_expires_in)
        return self.max_expires_in

    def for_merchant(self, defaults: InvoiceDefaults) -> Limits:
        """The zone's limits narrowed by a merchant's own terms: its accepted assets (still
        enabled in the zone) and its default expiry."""
        accepted = defaults.accepted_assets
        assets = self.assets if accepted is None else (
            tuple(a for a in self.assets if a in accepted) or self.assets)
        expires = defaults.expires_in
        default_expires_in = (self.default_expires_in if expires is None
                              else min(expires, self.max_expires_in))
        if (assets, default_expires_in) == (self.assets, self.default_expires_in):
            return self
        return replace(self, assets=assets, default_expires_in=default_expires_in)


@dataclass(frozen=True)
class CreateInvoice:
    amount: int
    currency: str
    order_id: str | None
    description: str | None
    metadata: dict[str, str]
    expires_in: int
    assets: tuple[str, ...]
    redirect_url: str | None


def _type_error(param: str, expected: str) -> InvalidRequest:
    return InvalidRequest(f"{param} must be {expected}.", code="invalid_type", param=param)


def _int(body: dict[str, Any], param: str, lo: int, hi: int, unit: str) -> int:
    value = body[param]
    # bool is an int subclass; FloatInBody (1.5, 1e3) is a str subclass: both are refused.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _type_error(param, f"an integer number of {unit}")
    if not lo <= value <= hi:
        raise InvalidRequest(f"{param} must be between {lo} and {hi} {unit}.",
                             code="parameter_out_of_range", param=param)
    return value


def _text(value: Any, param: str, max_len: int) -> str:
    if type(value) is not str:  # FloatInBody (a number like 1.5) is a str subclass
        raise _type_error(param, "a string")
    if len(value) > max_len:
        raise InvalidRequest(f"{param} must be at most {max_len} characters.",
                             code="parameter_out_of_range", param=param)
    if "\x00" in value:  # PostgreSQL text cannot hold NUL
        raise InvalidRequest(f"{param} must not contain NUL characters.",
                             code="invalid_string", param=param)
    return value


def _optional_text(body: dict[str, Any], param: str, max_len: int) -> str | None:
    value = body.get(param)
    return None if value is None else _text(value, param, max_len)


def _metadata(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _type_error("metadata", "an object of string values")
    if len(value) > METADATA_MAX_KEYS:
        raise InvalidRequest(f"metadata may have at most {METADATA_MAX_KEYS} keys.",
                             code="invalid_metadata", param="metadata")
    for key, item in value.items():
        if not 1 <= len(key) <= METADATA_MAX_KEY or "\x00" in key:
            raise InvalidRequest(f"metadata keys must be 1..{METADATA_MAX_KEY} characters.",
                                 code="invalid_metadata", param="metadata")
        _text(item, f"metadata[{key}]", METADATA_MAX_VALUE)
    return dict(value)


def _currency(value: Any) -> str:
    if value is None:
        return "KZT"
    code = _text(value, "currency", 3).upper()
    if code not in CURRENCIES:
        raise InvalidRequest("Invoices are priced in KZT only.", code="unsupported_currency",
                             param="currency")
    return code


def _assets(value: Any, enabled: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return enabled
    if not isinstance(value, list) or not value:
        raise _type_error("assets", "a non-empty array of asset ids")
    chosen: list[str] = []
    for item in value:
        if type(item) is not str:
            raise _type_error("assets", "a non-empty array of asset ids")
        if item not in enabled:
            raise UnknownAsset(f"Unknown or disabled asset {item[:40]!r}; enabled: "
                               f"{', '.join(enabled)}.", param="assets")
        if item not in chosen:
            chosen.append(item)
    return tuple(chosen)


def _redirect_url(value: Any) -> str | None:
    if value is None:
        return None
    url = _text(value, "redirect_url", MAX_URL)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequest("redirect_url must be an absolute http or https URL.",
                             code="invalid_url", param="redirect_url")
    return url


def _expires_in(body: dict[str, Any], limits: Limits, assets: tuple[str, ...]) -> int:
    value = _int(body, "expires_in", MIN_EXPIRES_IN, limits.max_expires_in, "seconds")
    cap = limits.expires_cap(assets)
    if value > cap:
        raise InvalidRequest(
            f"expires_in must be at most {cap} seconds for an invoice offering a volatile "
            "asset (BNB, SOL); offer only pegged tokens (assets) for a longer one.",
            code="parameter_out_of_range", param="expires_in")
    return value


def reject_unknown(body: dict[str, Any], allowed: frozenset[str]) -> None:
    for name in body:
        if name not in allowed:
            raise InvalidRequest(f"Unknown parameter {name[:100]!r}.",
                                 code="unknown_parameter", param=name[:100])


def parse_create(body: dict[str, Any], limits: Limits) -> CreateInvoice:
    reject_unknown(body, FIELDS)
    if body.get("amount") is None:
        raise InvalidRequest("amount is required (integer tiyn).", code="missing_parameter",
                             param="amount")
    amount = _int(body, "amount", 1, limits.max_amount, "tiyn")
    assets = _assets(body.get("assets"), limits.assets)
    # A merchant's default expiry (portal settings) may be longer than a volatile asset allows.
    expires_in = min(limits.default_expires_in, limits.expires_cap(assets))
    if body.get("expires_in") is not None:
        expires_in = _expires_in(body, limits, assets)
    return CreateInvoice(
        amount=amount,
        currency=_currency(body.get("currency")),
        order_id=_optional_text(body, "order_id", MAX_ORDER_ID),
        description=_optional_text(body, "description", MAX_DESCRIPTION),
        metadata=_metadata(body.get("metadata")),
        expires_in=expires_in,
        assets=assets,
        redirect_url=_redirect_url(body.get("redirect_url")),
    )
