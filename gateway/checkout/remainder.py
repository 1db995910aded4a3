"""Payment requests for what is still owed after a partial payment (pure, no I/O).

The remainder of an option is priced at the option's locked rate and rounded UP in base units,
like the original quote (`gateway.rates.units_for`): the shopper never under-pays by rounding.
It never exceeds the original amount, so rounding cannot ask for more than the full quote.

The remainder's URI is the stored URI parsed and rebuilt with the new amount only: the same
deposit address / recipient, token, reference key, label and message, so the chain watcher
recognises the second payment exactly as it recognised the first.
"""

from __future__ import annotations

from gateway.checkout.errors import RemainderUriError
from gateway.invoices import quotes
from gateway.invoices.models import PaymentOption
from gateway.payments.amounts import format_units
from gateway.payments.errors import PaymentRequestError
from gateway.payments.uri import (
    eip681_native,
    eip681_token,
    parse_eip681,
    parse_solana_pay,
    solana_pay,
)
from gateway.rates.errors import RatesError


def remaining_tiyn(amount: int, amount_paid: int) -> int:
    return max(amount - amount_paid, 0)


def remaining_units(option: PaymentOption, amount: int, amount_paid: int) -> int:
    """Base units of `option` still owed (`gateway.invoices.quotes.remaining_units`)."""
    try:
        return quotes.remaining_units(option.amount_units, option.rate, option.decimals,
                                      amount=amount, amount_paid=amount_paid)
    except RatesError as exc:
        raise RemainderUriError(f"cannot price the remainder of {option.asset_id}") from exc


def _eip681_for(uri: str, units: int) -> str:
    request = parse_eip681(uri)
    chain_id = request.chain_id
    if chain_id is None:
        raise RemainderUriError("the stored EIP-681 URI has no chain id")
    if request.function is None:
        return eip681_native(request.to, units, chain_id)
    return eip681_token(request.target, request.to, units, chain_id)


def _solana_for(uri: str, units: int, decimals: int) -> str:
    request = parse_solana_pay(uri)
    if len(request.references) != 1:
        raise RemainderUriError("the stored Solana Pay URI must carry exactly one reference")
    return solana_pay(
        request.recipient, format_units(units, decimals), spl_token=request.spl_token,
        reference=request.references[0], label=request.label, message=request.message,
        memo=request.memo,
    )


def uri_for_units(option: PaymentOption, units: int) -> str:
    """`option.uri` asking for `units` instead; the stored URI itself for the full amount."""
    if units == option.amount_units:
        return option.uri
    try:
        if option.uri.startswith("ethereum:"):
            return _eip681_for(option.uri, units)
        if option.uri.startswith("solana:"):
            return _solana_for(option.uri, units, option.decimals)
    except PaymentRequestError as exc:
        raise RemainderUriError(f"cannot re-issue the {option.asset_id} request: {exc}") \
            from exc
    raise RemainderUriError(f"unknown payment URI scheme for {option.asset_id}")
