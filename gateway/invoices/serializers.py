"""The API shape of an invoice (`object: "invoice"`) and of its payment options.

Amounts: `amount`/`amount_paid` are integer tiyn; an option's `amount` is a plain decimal
string in the asset's units (no exponent) and `amount_units` the same in base units as an
integer string (JSON numbers cannot carry 10^18-scale integers safely in every client).
Timestamps are RFC 3339 UTC strings.

`invoice_json` is the one encoding of the object (orjson, compact): the create path sends the
same bytes as the response, the `invoice.created` event's data and the saved idempotent
response, so the object is serialised once.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

import orjson

from gateway.invoices.models import Invoice, PaymentOption
from gateway.invoices.payments import payment_object
from gateway.payments.amounts import format_units
from gateway.timestamps import timestamp


def plain_decimal(value: Decimal) -> str:
    """Positional notation always (`str(Decimal("3E+5"))` would give an exponent)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# A quote's rate and fetched-at repeat in every invoice until the rates refresh: their text is
# cached (Decimal("1.50") == Decimal("1.5") share an entry, and both print as "1.5").
_rate_text = lru_cache(maxsize=256)(plain_decimal)
_fetched_at_text = lru_cache(maxsize=256)(timestamp)


def qr_urls(public_url: str, qr_token: str, asset_id: str) -> tuple[str, str]:
    base = f"{public_url}/qr/{qr_token}/{asset_id}"
    return f"{base}.svg", f"{base}.png"


def option_object(option: PaymentOption, invoice: Invoice, public_url: str) -> dict[str, Any]:
    svg, png = qr_urls(public_url, invoice.qr_token, option.asset_id)
    data: dict[str, Any] = {
        "asset": option.symbol,
        "asset_id": option.asset_id,
        "chain": option.chain,
        "token": option.token,
        "decimals": option.decimals,
        "amount": format_units(option.amount_units, option.decimals),
        "amount_units": str(option.amount_units),
        "rate": _rate_text(option.rate),
        "rate_source": option.rate_source,
        "rate_fetched_at": _fetched_at_text(option.rate_fetched_at),
        "uri": option.uri,
    }
    if option.chain == "bsc":
        data["address"] = invoice.bsc_address
    else:
        data["recipient"] = invoice.solana_recipient
        data["reference"] = invoice.solana_reference
    data["qr_svg_url"] = svg
    data["qr_png_url"] = png
    return data


def invoice_object(invoice: Invoice, public_url: str) -> dict[str, Any]:
    return {
        "id": invoice.id,
        "object": "invoice",
        "livemode": invoice.livemode,
        "status": invoice.status.value,
        "exception": invoice.exception.value if invoice.exception else None,
        "amount": invoice.amount,
        "currency": invoice.currency,
        "amount_paid": invoice.amount_paid,
        "amount_refundable": invoice.amount_refundable,
        "order_id": invoice.order_id,
        "description": invoice.description,
        "metadata": invoice.metadata,
        "created_at": timestamp(invoice.created_at),
        "expires_at": timestamp(invoice.expires_at),
        "checkout_url": f"{public_url}/pay/{invoice.id}",
        "redirect_url": invoice.redirect_url,
        "payment_tolerance": {"bps": invoice.tolerance_bps, "amount": invoice.tolerance_tiyn},
        "monitoring_window": int(invoice.monitoring_window.total_seconds()),
        "late_payment_window": int(invoice.late_accept_window.total_seconds()),
        "payment_options": [option_object(o, invoice, public_url) for o in invoice.options],
        "payments": [payment_object(p) for p in invoice.payments],
        "refunds": list(invoice.refunds),
    }


def dumps(obj: Any) -> bytes:
    """Compact JSON of an API object (strings, ints, lists, dicts and None only)."""
    return orjson.dumps(obj)


def invoice_json(invoice: Invoice, public_url: str) -> bytes:
    return dumps(invoice_object(invoice, public_url))
