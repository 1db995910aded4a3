"""Locking a quote per offered asset and turning it into a payment request (no I/O).

A quote locks the rate, its source and fetched-at, and the base units owed, rounded up
(`units_for`: the shopper never pays less than the tenge price). BNB Chain options all pay
the invoice's own deposit address; Solana options all pay the treasury and carry the
invoice's one reference key, by which the watcher recognises the payment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.invoices.catalog import OfferedAsset
from gateway.invoices.models import PaymentOption
from gateway.payments.amounts import format_units
from gateway.payments.uri import eip681_native, eip681_token, solana_pay
from gateway.rates import Quote, RateBook, units_for

MAX_MESSAGE = 100  # keeps the Solana Pay URI (and so the QR code) small


@dataclass(frozen=True)
class LockedQuote:
    asset: OfferedAsset
    quote: Quote
    units: int


@dataclass(frozen=True)
class Targets:
    """Where this invoice is paid: one BNB Chain address, one Solana treasury + reference."""

    bsc_address: str | None
    solana_recipient: str | None
    solana_reference: str | None
    label: str
    message: str | None


def lock_quotes(book: RateBook, assets: Sequence[OfferedAsset], amount: int) -> list[LockedQuote]:
    """One quote per asset (raises RateUnavailable naming the first stale pair)."""
    by_symbol: dict[str, Quote] = {}
    locked = []
    for asset in assets:
        symbol = asset.spec.symbol
        if symbol not in by_symbol:
            by_symbol[symbol] = book.quote(symbol)
        quote = by_symbol[symbol]
        locked.append(LockedQuote(asset, quote, units_for(amount, quote.rate, asset.decimals)))
    return locked


def _uri(locked: LockedQuote, targets: Targets) -> str:
    asset = locked.asset
    if asset.spec.chain == "bsc":
        assert targets.bsc_address is not None
        if asset.token is None:
            return eip681_native(targets.bsc_address, locked.units)
        return eip681_token(asset.token, targets.bsc_address, locked.units)
    assert targets.solana_recipient is not None and targets.solana_reference is not None
    return solana_pay(
        targets.solana_recipient, format_units(locked.units, asset.decimals),
        spl_token=asset.token, reference=targets.solana_reference,
        label=targets.label or None, message=targets.message or None,
    )


def build_options(locked: Sequence[LockedQuote], targets: Targets) -> tuple[PaymentOption, ...]:
    return tuple(
        PaymentOption(
            asset_id=item.asset.spec.id, chain=item.asset.spec.chain,
            symbol=item.asset.spec.symbol, token=item.asset.token,
            decimals=item.asset.decimals, amount_units=item.units, rate=item.quote.rate,
            rate_source=item.quote.source, rate_fetched_at=item.quote.fetched_at,
            uri=_uri(item, targets),
        )
        for item in locked
    )


def message_for(description: str | None, order_id: str | None) -> str | None:
    text = description or (f"Order {order_id}" if order_id else None)
    return text[:MAX_MESSAGE] if text else None
