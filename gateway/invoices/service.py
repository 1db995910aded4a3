"""Invoice rules: create (quotes locked, deposit targets assigned), read, list, cancel, and the
guarded status change every later lifecycle step (chain watchers, expiry) goes through.

No SQL here (see queries.py). Writers run in the caller's transaction: on the API that is the
one transaction of the request (gateway.http.idempotency), so the invoice, its options, its
`invoice.created` event and the saved idempotent response commit together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.config import Settings
from gateway.errors import NotFound
from gateway.invoices import queries as q
from gateway.invoices.catalog import Catalog
from gateway.invoices.errors import (
    IllegalTransition,
    MerchantSuspended,
    NotCancellable,
    StaleTransition,
)
from gateway.invoices.models import Invoice, PaymentOption
from gateway.invoices.params import CreateInvoice
from gateway.invoices.quotes import Targets, build_options, lock_quotes, message_for
from gateway.invoices.serializers import invoice_object
from gateway.invoices.states import InvoiceException, InvoiceStatus, transition
from gateway.merchants.apikeys import Principal
from gateway.merchants.ids import new_id, random_token
from gateway.payments.hd import derive_address
from gateway.payments.references import new_reference
from gateway.rates import RateBook
from gateway.webhooks.outbox import emit
from settlement.db import Conn

Row = q.Row
QR_TOKEN_CHARS = 24  # ~143 bits: QR URLs are public but unguessable


@dataclass(frozen=True)
class Policy:
    """Per-invoice terms copied from settings at creation."""

    monitoring_window: timedelta
    late_accept_window: timedelta
    tolerance_bps: int
    tolerance_tiyn: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(timedelta(seconds=settings.invoice_monitoring_window),
                   timedelta(seconds=settings.invoice_late_accept_window),
                   settings.invoice_tolerance_bps, settings.invoice_tolerance_tiyn)


@dataclass(frozen=True)
class InvoiceDeps:
    catalog: Catalog
    book: RateBook
    policy: Policy
    public_url: str


@dataclass(frozen=True)
class ListFilter:
    status: InvoiceStatus | None = None
    order_id: str | None = None
    created_gte: datetime | None = None
    created_lte: datetime | None = None


async def _targets(conn: Conn, deps: InvoiceDeps, chains: set[str], caller: Principal,
                   req: CreateInvoice) -> tuple[Targets, int | None]:
    """Deposit targets and the BIP-44 index of the BNB Chain address (None without bsc)."""
    index = await q.next_bsc_index(conn) if "bsc" in chains else None
    solana = "solana" in chains
    targets = Targets(
        bsc_address=derive_address(deps.catalog.xpub, index) if index is not None else None,
        solana_recipient=deps.catalog.treasury if solana else None,
        solana_reference=new_reference() if solana else None,
        label=caller.merchant_name, message=message_for(req.description, req.order_id),
    )
    return targets, index


async def create_invoice(conn: Conn, deps: InvoiceDeps, caller: Principal,
                         req: CreateInvoice) -> Invoice:
    if not caller.active:
        raise MerchantSuspended("This merchant is suspended and cannot create invoices.")
    assets = [deps.catalog.assets[asset_id] for asset_id in req.assets]
    # Quotes first: a stale rate refuses the invoice before any sequence value is spent.
    locked = lock_quotes(deps.book, assets, req.amount)
    targets, index = await _targets(conn, deps, {a.spec.chain for a in assets}, caller, req)
    options = build_options(locked, targets)
    row = await q.insert_invoice(conn, _invoice_values(deps.policy, caller, req, targets, index),
                                 _option_columns(options))
    invoice = Invoice.from_row(row, options)
    await emit(conn, merchant_id=caller.merchant_id, type="invoice.created",
               data=invoice_object(invoice, deps.public_url))
    return invoice


def _invoice_values(policy: Policy, caller: Principal, req: CreateInvoice, targets: Targets,
                    index: int | None) -> tuple[object, ...]:
    return (
        new_id("inv"), caller.merchant_id, req.amount, req.currency, req.order_id,
        req.description, req.metadata, req.redirect_url, req.expires_in,
        policy.monitoring_window, policy.late_accept_window, policy.tolerance_bps,
        policy.tolerance_tiyn, targets.bsc_address, index, targets.solana_reference,
        targets.solana_recipient, random_token(QR_TOKEN_CHARS),
    )


def _option_columns(options: tuple[PaymentOption, ...]) -> list[list[object]]:
    rows = [option.columns(position) for position, option in enumerate(options)]
    return [list(column) for column in zip(*rows, strict=True)]


async def _with_options(conn: Conn, rows: list[Row]) -> list[Invoice]:
    if not rows:
        return []
    by_invoice: dict[str, list[PaymentOption]] = {row["id"]: [] for row in rows}
    for option in await q.select_options(conn, list(by_invoice)):
        by_invoice[option["invoice_id"]].append(PaymentOption.from_row(option))
    return [Invoice.from_row(row, tuple(by_invoice[row["id"]])) for row in rows]


def _missing(invoice_id: str) -> NotFound:
    # Same answer for "does not exist" and "belongs to another merchant": ids leak nothing.
    return NotFound(f"No such invoice: '{invoice_id}'.", code="resource_missing", param="id")


async def get_invoice(conn: Conn, merchant_id: str, invoice_id: str) -> Invoice:
    row = await q.select_invoice(conn, invoice_id, merchant_id)
    if row is None:
        raise _missing(invoice_id)
    return (await _with_options(conn, [row]))[0]


async def list_invoices(conn: Conn, merchant_id: str, filters: ListFilter,
                        starting_after: str | None, fetch: int) -> list[Invoice]:
    after = None
    if starting_after is not None:
        cursor = await q.select_cursor(conn, starting_after, merchant_id)
        if cursor is None:
            raise NotFound(f"No such invoice: '{starting_after}'.", code="resource_missing",
                           param="starting_after")
        after = (cursor["created_at"], cursor["id"])
    rows = await q.list_invoices(
        conn, merchant_id, status=filters.status.value if filters.status else None,
        order_id=filters.order_id, created_gte=filters.created_gte,
        created_lte=filters.created_lte, after=after, limit=fetch,
    )
    return await _with_options(conn, rows)


async def cancel_invoice(conn: Conn, deps: InvoiceDeps, merchant_id: str,
                         invoice_id: str) -> Invoice:
    """new -> cancelled while nothing is paid; the `invoice.cancelled` event in the same txn."""
    row = await q.select_invoice_for_update(conn, invoice_id, merchant_id)
    if row is None:
        raise _missing(invoice_id)
    if row["amount_paid"] > 0:
        raise NotCancellable("A payment was already received for this invoice.")
    try:
        updated = await change_status(conn, invoice_id, row["status"], InvoiceStatus.CANCELLED)
    except (IllegalTransition, StaleTransition) as exc:
        raise NotCancellable(f"Invoice is {row['status']} and can no longer be cancelled.") \
            from exc
    invoice = (await _with_options(conn, [updated]))[0]
    await emit(conn, merchant_id=merchant_id, type="invoice.cancelled",
               data=invoice_object(invoice, deps.public_url))
    return invoice


async def change_status(conn: Conn, invoice_id: str, expected: InvoiceStatus | str,
                        target: InvoiceStatus, *,
                        exception: InvoiceException | None = None) -> Row:
    """Guarded status change: legal per states.ALLOWED and only if still in `expected`.

    Raises IllegalTransition for a move the lifecycle forbids and StaleTransition when the
    invoice is no longer in `expected` (someone else changed it first). Callers emit the
    matching webhook event in the same transaction.
    """
    transition(expected, target)
    row = await q.update_status(conn, invoice_id, str(expected), target.value,
                                exception.value if exception else None)
    if row is None:
        raise StaleTransition(f"invoice {invoice_id} is no longer {expected}")
    return row
