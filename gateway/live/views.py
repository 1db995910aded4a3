"""What a live stream shows: the invoice object plus what is still owed, per payment option.

Both the snapshot and every change event are built from an invoice object as the API returns
it (`gateway.invoices.serializers.invoice_object`; events carry it as their `data`), so the
stream shows the same thing whether it read the invoices table or an event.

The remaining amount of an option is `gateway.invoices.quotes.remaining_units`: the unpaid tiyn
at the option's locked rate, rounded UP in base units like the quote itself (the same figure the
checkout page shows).

The public stream (`/pay/{id}/events`, no authentication) keeps only PUBLIC_FIELDS: nothing
merchant-private (metadata, tolerances, windows) reaches the shopper's browser.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from gateway.invoices.quotes import remaining_units
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


def remaining_tiyn(invoice: dict[str, Any]) -> int:
    return max(int(invoice["amount"]) - int(invoice.get("amount_paid") or 0), 0)


def _option_view(option: dict[str, Any], amount: int, paid: int) -> dict[str, Any]:
    decimals = int(option["decimals"])
    left = remaining_units(int(option["amount_units"]), Decimal(option["rate"]), decimals,
                           amount=amount, amount_paid=paid)
    view = dict(option)
    view["amount_remaining_units"] = str(left)
    view["amount_remaining"] = format_units(left, decimals)
    return view


def live_view(invoice: dict[str, Any], *, public: bool) -> dict[str, Any]:
    """The invoice object with remaining amounts; only PUBLIC_FIELDS when `public`."""
    amount, paid = int(invoice["amount"]), int(invoice.get("amount_paid") or 0)
    view = dict(invoice)
    view["amount_remaining"] = remaining_tiyn(invoice)
    view["payment_options"] = [
        _option_view(o, amount, paid) for o in invoice.get("payment_options") or []
    ]
    if public:
        view = {k: view[k] for k in PUBLIC_FIELDS if k in view}
        view["payment_options"] = [
            {k: o[k] for k in PUBLIC_OPTION_FIELDS if k in o} for o in view["payment_options"]
        ]
    return view
