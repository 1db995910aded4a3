"""What a live stream shows: the invoice object plus what is still owed, per payment option.

Both the snapshot and every change event are built from an invoice object as the API returns
it (`gateway.invoices.serializers.invoice_object`; events carry it as their `data`), so the
stream shows the same thing whether it read the invoices table or an event.

The remaining amount of an option is the unpaid share of its locked quote, rounded UP in base
units (the operator's favour, like the quote itself): ceil(amount_units * remaining / amount).

The public stream (`/pay/{id}/events`, no authentication) keeps only PUBLIC_FIELDS: nothing
merchant-private (metadata, tolerances, windows) reaches the shopper's browser.
"""

from __future__ import annotations

from typing import Any, Final

from gateway.payments.amounts import format_units

PUBLIC_FIELDS: Final = (
    "id", "object", "status", "exception", "amount", "currency", "amount_paid",
    "amount_remaining", "order_id", "description", "created_at", "expires_at", "checkout_url",
    "redirect_url", "payment_options",
)
PUBLIC_OPTION_FIELDS: Final = (
    "asset", "asset_id", "chain", "token", "decimals", "amount", "amount_units",
    "amount_remaining", "amount_remaining_units", "rate", "uri", "address", "recipient",
    "reference", "qr_svg_url", "qr_png_url",
)


def ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def remaining_tiyn(invoice: dict[str, Any]) -> int:
    return max(int(invoice["amount"]) - int(invoice.get("amount_paid") or 0), 0)


def _option_view(option: dict[str, Any], amount: int, remaining: int) -> dict[str, Any]:
    units, decimals = int(option["amount_units"]), int(option["decimals"])
    left = ceil_div(units * remaining, amount) if amount > 0 else 0
    view = dict(option)
    view["amount_remaining_units"] = str(left)
    view["amount_remaining"] = format_units(left, decimals)
    return view


def live_view(invoice: dict[str, Any], *, public: bool) -> dict[str, Any]:
    """The invoice object with remaining amounts; only PUBLIC_FIELDS when `public`."""
    amount, remaining = int(invoice["amount"]), remaining_tiyn(invoice)
    view = dict(invoice)
    view["amount_remaining"] = remaining
    view["payment_options"] = [
        _option_view(o, amount, remaining) for o in invoice.get("payment_options") or []
    ]
    if public:
        view = {k: view[k] for k in PUBLIC_FIELDS if k in view}
        view["payment_options"] = [
            {k: o[k] for k in PUBLIC_OPTION_FIELDS if k in o} for o in view["payment_options"]
        ]
    return view
