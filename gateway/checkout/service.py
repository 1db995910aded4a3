"""What the shopper sees: the checkout phase and, per payment option, what to pay now.

No SQL and no HTML here: `load_view` reads through queries.py, and `build_view` turns an
invoice (as `gateway.invoices` models it) into a `CheckoutView` the renderer prints. The
phase is derived from status, exception and amount paid; the browser script derives it from
live events by the same table (`phaseOf` in static/checkout.js), and tests/browser check that
both agree through the page.

    status      exception     amount_paid      phase
    new         -             0                waiting
    new         paid_partial  > 0              partial     (the QR asks for the remainder)
    processing  any           any              processing
    settled     any           any              paid        (paid_over adds a refund note)
    expired     paid_late     any              late
    expired     other         any              expired
    invalid     any           any              invalid
    cancelled   any           any              cancelled
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from gateway.checkout import queries
from gateway.checkout.remainder import remaining_tiyn, remaining_units, uri_for_units
from gateway.invoices.models import Invoice, PaymentOption
from gateway.invoices.states import InvoiceException, InvoiceStatus
from gateway.payments.amounts import format_units
from settlement.assets import CHAINS
from settlement.db import Conn


class Phase(StrEnum):
    WAITING = "waiting"
    PARTIAL = "partial"
    PROCESSING = "processing"
    PAID = "paid"
    EXPIRED = "expired"
    LATE = "late"
    INVALID = "invalid"
    CANCELLED = "cancelled"


# Phases in which a payment request is still offered (QR, amount, address).
PAYABLE = frozenset({Phase.WAITING, Phase.PARTIAL})

_BY_STATUS = {
    InvoiceStatus.PROCESSING: Phase.PROCESSING,
    InvoiceStatus.SETTLED: Phase.PAID,
    InvoiceStatus.INVALID: Phase.INVALID,
    InvoiceStatus.CANCELLED: Phase.CANCELLED,
}


def phase_of(status: InvoiceStatus, exception: InvoiceException | None,
             amount_paid: int) -> Phase:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status is InvoiceStatus.EXPIRED:
        return Phase.LATE if exception is InvoiceException.PAID_LATE else Phase.EXPIRED
    return Phase.PARTIAL if amount_paid > 0 else Phase.WAITING


@dataclass(frozen=True)
class OptionView:
    """One payment option as offered now: the full quote, or the remainder after a part."""

    asset_id: str
    symbol: str
    chain: str
    token: str | None
    units: int
    amount: str
    uri: str
    target: str
    reference: str | None
    is_remainder: bool
    available: bool = True  # False while its chain is not live (gateway.status)

    @property
    def chain_name(self) -> str:
        return CHAINS[self.chain].name if self.chain in CHAINS else self.chain

    @property
    def network(self) -> str:
        """The network as a wallet names it: the token standard matters for tokens."""
        if self.token is None:
            return self.chain_name
        return f"{self.chain_name} ({CHAINS[self.chain].token_standard})"


@dataclass(frozen=True)
class CheckoutView:
    invoice_id: str
    merchant_name: str
    amount: int
    amount_paid: int
    order_id: str | None
    description: str | None
    phase: Phase
    overpaid: bool
    expires_at: datetime
    seconds_left: int
    redirect_url: str | None
    options: tuple[OptionView, ...]

    @property
    def remaining(self) -> int:
        return remaining_tiyn(self.amount, self.amount_paid)

    @property
    def payable(self) -> bool:
        return self.phase in PAYABLE

    def option(self, asset_id: str | None) -> OptionView | None:
        """The option with `asset_id`, else the first available one (else the first; None
        when nothing is offered)."""
        for option in self.options:
            if option.asset_id == asset_id:
                return option
        available = [option for option in self.options if option.available]
        if available:
            return available[0]
        return self.options[0] if self.options else None


def option_view(invoice: Invoice, option: PaymentOption,
                down: frozenset[str] = frozenset()) -> OptionView:
    units = remaining_units(option, invoice.amount, invoice.amount_paid)
    if option.chain == "bsc":
        target, reference = invoice.bsc_address, None
    else:
        target, reference = invoice.solana_recipient, invoice.solana_reference
    return OptionView(
        asset_id=option.asset_id, symbol=option.symbol, chain=option.chain, token=option.token,
        units=units, amount=format_units(units, option.decimals),
        uri=uri_for_units(option, units), target=target or "", reference=reference,
        is_remainder=units != option.amount_units, available=option.chain not in down,
    )


def safe_redirect(url: str | None) -> str | None:
    """Only absolute http(s) URLs leave the page (the API checks this too; this is defence)."""
    if not url:
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.hostname else None


def build_view(invoice: Invoice, merchant_name: str, now: datetime,
               down: frozenset[str] = frozenset()) -> CheckoutView:
    """`down`: the chains that are not live; their options are marked unavailable."""
    phase = phase_of(invoice.status, invoice.exception, invoice.amount_paid)
    options = tuple(option_view(invoice, o, down) for o in invoice.options) \
        if phase in PAYABLE else ()
    return CheckoutView(
        invoice_id=invoice.id, merchant_name=merchant_name, amount=invoice.amount,
        amount_paid=invoice.amount_paid, order_id=invoice.order_id,
        description=invoice.description, phase=phase,
        overpaid=invoice.exception is InvoiceException.PAID_OVER,
        expires_at=invoice.expires_at,
        seconds_left=max(int((invoice.expires_at - now).total_seconds()), 0),
        redirect_url=safe_redirect(invoice.redirect_url), options=options,
    )


async def load_view(conn: Conn, invoice_id: str, now: datetime,
                    down: frozenset[str] = frozenset()) -> CheckoutView | None:
    """The checkout of `invoice_id` as of `now`; None when there is no such invoice."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        row = await queries.select_checkout_invoice(conn, invoice_id)
        if row is None:
            return None
        options = tuple(PaymentOption.from_row(o)
                        for o in await queries.select_options(conn, invoice_id))
    return build_view(Invoice.from_row(row, options), row["merchant_name"], now, down)
