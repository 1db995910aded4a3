"""Invoice rules: create (quotes locked, deposit targets assigned), read and list. Every
status change after creation (cancel, payments, expiry) is the lifecycle's (gateway.lifecycle).

No SQL and no HTTP here: plain values in, plain results out (see queries.py for the SQL).
Creation is ONE statement (queries.CREATE_INVOICE): the invoice, its options and its
`invoice.created` event, run in the caller's transaction (for the API, the request's, where
the idempotency middleware also saves the response); the caller sends the event's notice with
`announce` once that transaction has committed (notices.py says why not in it;
gateway.http.idempotency.after_commit runs it for the API). Everything the
statement needs is computed here first: the deposit address from a reserved index
(indexes.py), the quotes, the URIs, the timestamps (this process's clock) and the invoice's
JSON, which is both the event's data and the API's answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from gateway.config import Settings
from gateway.errors import NotFound
from gateway.events.outbox import pending_event
from gateway.invoices import queries as q
from gateway.invoices.catalog import Catalog
from gateway.invoices.errors import (
    MerchantSuspended,
)
from gateway.invoices.indexes import BscIndexes
from gateway.invoices.models import Invoice, PaymentOption
from gateway.invoices.notices import CreatedNotices
from gateway.invoices.params import CreateInvoice
from gateway.invoices.payments import load_payments
from gateway.invoices.quotes import (
    LockedQuote,
    QuoteCache,
    Targets,
    UriTemplates,
    build_options,
    lock_quotes,
    message_for,
)
from gateway.invoices.serializers import dumps, invoice_json
from gateway.invoices.states import InvoiceStatus
from gateway.merchants.apikeys import Principal
from gateway.merchants.defaults import ZONE_DEFAULTS, InvoiceDefaults
from gateway.merchants.ids import new_id, random_token
from gateway.payments.hd import derive_address
from gateway.payments.references import new_reference
from gateway.rates import RateBook
from gateway.status.service import ChainState, StatusCache, not_live, unavailable_error
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

    def for_merchant(self, d: InvoiceDefaults) -> Policy:
        """These terms with the merchant's own tolerance and late window where it set them."""
        if d == ZONE_DEFAULTS:
            return self
        late = (self.late_accept_window if d.late_accept_window is None
                else timedelta(seconds=d.late_accept_window))
        return Policy(self.monitoring_window, late,
                      self.tolerance_bps if d.tolerance_bps is None else d.tolerance_bps,
                      self.tolerance_tiyn if d.tolerance_tiyn is None else d.tolerance_tiyn)


@dataclass(frozen=True)
class InvoiceDeps:
    catalog: Catalog
    book: RateBook
    policy: Policy
    public_url: str
    uris: UriTemplates
    chains: StatusCache
    indexes: BscIndexes = field(default_factory=BscIndexes)
    notices: CreatedNotices = field(default_factory=CreatedNotices)
    quotes: QuoteCache = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "quotes", QuoteCache(self.book))


@dataclass(frozen=True)
class Created:
    """A new invoice, its API object as JSON (also its `invoice.created` event's data) and
    the event's notice, to `announce` after the commit."""

    invoice: Invoice
    body: bytes
    notice: str


@dataclass(frozen=True)
class ListFilter:
    status: InvoiceStatus | None = None
    order_id: str | None = None
    created_gte: datetime | None = None
    created_lte: datetime | None = None


async def _targets(conn: Conn, deps: InvoiceDeps, chains: set[str], caller: Principal,
                   req: CreateInvoice) -> tuple[Targets, int | None]:
    """Deposit targets and the BIP-44 index of the BNB Chain address (None without bsc)."""
    index = await deps.indexes.take(conn) if "bsc" in chains else None
    solana = "solana" in chains
    targets = Targets(
        bsc_address=derive_address(deps.catalog.xpub, index) if index is not None else None,
        solana_recipient=deps.catalog.treasury if solana else None,
        solana_reference=new_reference() if solana else None,
        label=caller.merchant_name, message=message_for(req.description, req.order_id),
    )
    return targets, index


def _new_invoice(deps: InvoiceDeps, caller: Principal, req: CreateInvoice,
                 locked: list[LockedQuote], targets: Targets) -> Invoice:
    now = datetime.now(UTC)
    policy = deps.policy.for_merchant(caller.invoice_defaults)
    return Invoice(
        id=new_id("inv"), merchant_id=caller.merchant_id, status=InvoiceStatus.NEW,
        exception=None, amount=req.amount, currency=req.currency, amount_paid=0,
        order_id=req.order_id, description=req.description, metadata=req.metadata,
        redirect_url=req.redirect_url, created_at=now,
        expires_at=now + timedelta(seconds=req.expires_in),
        monitoring_window=policy.monitoring_window,
        late_accept_window=policy.late_accept_window, tolerance_bps=policy.tolerance_bps,
        tolerance_tiyn=policy.tolerance_tiyn, bsc_address=targets.bsc_address,
        solana_reference=targets.solana_reference, solana_recipient=targets.solana_recipient,
        qr_token=random_token(QR_TOKEN_CHARS),
        options=build_options(locked, targets, deps.uris), livemode=caller.livemode,
    )


def live_assets(catalog: Catalog, req: CreateInvoice,
                down: Mapping[str, ChainState]) -> CreateInvoice:
    """The request without the assets of chains that are not live (nobody would see them
    paid); ChainUnavailable (503) naming the chains when nothing is left to offer."""
    if not down:
        return req
    kept = tuple(a for a in req.assets if catalog.assets[a].spec.chain not in down)
    if not kept:
        asked = sorted({catalog.assets[a].spec.chain for a in req.assets})
        raise unavailable_error([down[chain] for chain in asked])
    return dataclasses.replace(req, assets=kept)


async def create_invoice(conn: Conn, deps: InvoiceDeps, caller: Principal,
                         req: CreateInvoice) -> Created:
    """Create the invoice, its options and its `invoice.created` event in one statement
    (`announce` it once the caller's transaction has committed)."""
    if not caller.active:
        raise MerchantSuspended("This merchant is suspended and cannot create invoices.")
    req = live_assets(deps.catalog, req, not_live(await deps.chains.states(conn)))
    assets = [deps.catalog.assets[asset_id] for asset_id in req.assets]
    # Quotes first: a stale rate refuses the invoice before any index is spent.
    locked = lock_quotes(deps.quotes, assets, req.amount)
    targets, index = await _targets(conn, deps, {a.spec.chain for a in assets}, caller, req)
    invoice = _new_invoice(deps, caller, req, locked, targets)
    body = invoice_json(invoice, deps.public_url)
    event = pending_event(caller.merchant_id, "invoice.created", invoice.id,
                          watch={"bsc_address": invoice.bsc_address,
                                 "solana_reference": invoice.solana_reference})
    await q.create_invoice(conn, _invoice_values(invoice, index), _options_json(invoice.options),
                           event.id, body.decode(), event.api_version, invoice.livemode)
    return Created(invoice, body, event.notice)


def announce(deps: InvoiceDeps, created: Created) -> None:
    """Send the `invoice.created` notice of an invoice whose creation has committed."""
    deps.notices.send(created.notice)


def _invoice_values(invoice: Invoice, index: int | None) -> tuple[object, ...]:
    """Values in queries.CREATE_INVOICE's invoice column order ($1..$19)."""
    return (
        invoice.id, invoice.merchant_id, invoice.amount, invoice.currency, invoice.order_id,
        invoice.description, invoice.metadata, invoice.redirect_url, invoice.created_at,
        invoice.expires_at, invoice.monitoring_window, invoice.late_accept_window,
        invoice.tolerance_bps, invoice.tolerance_tiyn, invoice.bsc_address, index,
        invoice.solana_reference, invoice.solana_recipient, invoice.qr_token,
    )


def _options_json(options: tuple[PaymentOption, ...]) -> str:
    return dumps([option.record(position) for position, option in enumerate(options)]).decode()


async def _with_options(conn: Conn, rows: list[Row]) -> list[Invoice]:
    if not rows:
        return []
    by_invoice: dict[str, list[PaymentOption]] = {row["id"]: [] for row in rows}
    for option in await q.select_options(conn, list(by_invoice)):
        by_invoice[option["invoice_id"]].append(PaymentOption.from_row(option))
    invoices = [Invoice.from_row(row, tuple(by_invoice[row["id"]])) for row in rows]
    return await load_payments(conn, invoices)


def _missing(invoice_id: str) -> NotFound:
    # Same answer for "does not exist" and "belongs to another merchant": ids leak nothing.
    return NotFound(f"No such invoice: '{invoice_id}'.", code="resource_missing", param="id")


async def get_invoice(conn: Conn, merchant_id: str, invoice_id: str, *,
                      livemode: bool | None = None) -> Invoice:
    """The merchant's invoice; with `livemode` (an API key's mode) one of the other mode is
    missing too. None: either mode (the portal's and console's own views)."""
    row = await q.select_invoice(conn, invoice_id, merchant_id, livemode=livemode)
    if row is None:
        raise _missing(invoice_id)
    return (await _with_options(conn, [row]))[0]


async def list_invoices(conn: Conn, merchant_id: str, filters: ListFilter,
                        starting_after: str | None, fetch: int, *,
                        livemode: bool | None = None) -> list[Invoice]:
    after = None
    if starting_after is not None:
        cursor = await q.select_cursor(conn, starting_after, merchant_id, livemode=livemode)
        if cursor is None:
            raise NotFound(f"No such invoice: '{starting_after}'.", code="resource_missing",
                           param="starting_after")
        after = (cursor["created_at"], cursor["id"])
    rows = await q.list_invoices(
        conn, merchant_id, status=filters.status.value if filters.status else None,
        order_id=filters.order_id, created_gte=filters.created_gte,
        created_lte=filters.created_lte, after=after, limit=fetch, livemode=livemode,
    )
    return await _with_options(conn, rows)
