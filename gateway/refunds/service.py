"""Refund rules: what may be refunded, approval and the claim page.

THE CONTRACT (issue 12). The merchant API, the claim page and the console call
only these functions; each takes a connection inside the caller's transaction, moves status
through `states.transition()` and emits `refund.created` through gateway.events in that
same transaction.

Money: a refund first draws on the invoice's stranded money (what `amount_refundable` shows),
in kind, at the invoice's locked rate; anything above it, on a settled sale only, is a
merchant-funded return (`sale_amount`, priced at `rate_kind`). Booking happens when the
transaction is signed and when it is final (gateway.refunds.sending.outcomes).

Exactly once: `create_refund` locks the invoice row (SELECT ... FOR UPDATE) before it reads
what live refunds hold, so two concurrent refunds of the same money run one after the other
and the second sees the first's sources (gateway/refunds/amounts.py does the arithmetic).

Which asset: stranded money goes back in the asset that arrived. When it spans several
assets, `asset_id` picks one; without it the refund is refused (422 asset_required, naming
the assets) rather than guessed. A pure sale refund goes back in the asset the sale was paid
with (or `asset_id`, one of the invoice's options); without an address and without
`asset_id` its asset is left to the shopper on the claim page, and it is priced there.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from gateway.errors import Conflict, InvalidRequest, NotFound, Unprocessable
from gateway.events.outbox import emit
from gateway.invoices import queries as invoice_queries
from gateway.invoices import service as invoices
from gateway.invoices.models import Invoice
from gateway.log import get_logger
from gateway.merchants.ids import new_id, random_token
from gateway.rates import RateBook
from gateway.refunds import amounts
from gateway.refunds import queries as q
from gateway.refunds.addresses import check_address
from gateway.refunds.errors import (
    IllegalRefundTransition,
    NothingRefundable,
    RefundNotCancellable,
    RefundTooLarge,
)
from gateway.refunds.models import Refund, refund_object
from gateway.refunds.states import CANCELLABLE, LIVE, RateKind, RefundStatus, transition
from settlement.assets import ASSETS
from settlement.db import Conn

log = get_logger(__name__)
S = RefundStatus
CLAIM_TOKEN_CHARS = 32  # ~190 bits: the claim URL is the shopper's only credential
LIVE_STATUSES = tuple(sorted(s.value for s in LIVE))


def claim_url(public_url: str, refund: Refund) -> str | None:
    """The shopper's claim page of a refund made without an address (None otherwise); it
    stays valid after the claim, to show the refund's progress."""
    if refund.claim_token is None:
        return None
    return f"{public_url}/refunds/claim/{refund.claim_token}"


def _missing(refund_id: str) -> NotFound:
    # Same answer for "does not exist" and "belongs to another merchant".
    return NotFound(f"No such refund: '{refund_id[:80]}'.", code="resource_missing", param="id")


@dataclass(frozen=True, slots=True)
class Priced:
    """A refund's asset and money, decided before its row is written."""

    chain: str | None
    asset_id: str | None
    stranded: amounts.Draw
    sale_amount: int
    sale_units: int | None
    rate: Decimal | None

    @property
    def amount_units(self) -> int | None:
        if self.sale_units is None:
            return None
        return self.stranded.units + self.sale_units


NO_DRAW = amounts.Draw(0, 0, ())


def sale_rate(invoice: Invoice, rates: RateBook, asset_id: str, kind: RateKind) -> Decimal:
    """KZT per whole unit pricing a sale part in `asset_id`."""
    if kind is RateKind.LOCKED:
        option = amounts.option_for(invoice, asset_id)
        if option is None:
            raise Unprocessable(f"The invoice locked no rate for {asset_id}; use rate current.",
                                code="rate_unavailable", param="rate")
        return option.rate
    return rates.quote(ASSETS[asset_id].symbol).rate


def _decimals(invoice: Invoice, asset_id: str) -> int:
    option = amounts.option_for(invoice, asset_id)
    return option.decimals if option is not None else ASSETS[asset_id].decimals


def _price_sale(invoice: Invoice, rates: RateBook, asset_id: str, kind: RateKind,
                sale_amount: int) -> tuple[int, Decimal | None]:
    if sale_amount == 0:
        return 0, None
    rate = sale_rate(invoice, rates, asset_id, kind)
    return amounts.units_floor(sale_amount, rate, _decimals(invoice, asset_id)), rate


def _pick_pool(pools: dict[str, amounts.Pool], asset_id: str | None) -> amounts.Pool | None:
    if asset_id is not None:
        return pools.get(asset_id)
    if len(pools) > 1:
        names = ", ".join(sorted(pools))
        raise Unprocessable(f"The stranded money of this invoice is in several assets "
                            f"({names}): name one as asset_id.", code="asset_required",
                            param="asset_id")
    return next(iter(pools.values()), None)


def _sale_asset(invoice: Invoice, asset_id: str | None, address: str | None) -> str | None:
    """The asset of a pure sale refund (None: the shopper picks it on the claim page)."""
    if asset_id is not None:
        if asset_id not in amounts.sale_assets(invoice) and \
                amounts.option_for(invoice, asset_id) is None:
            raise InvalidRequest(f"The invoice was not paid in and did not offer {asset_id}.",
                                 code="unknown_asset", param="asset_id")
        return asset_id
    paid = amounts.sale_assets(invoice)
    if address is None:
        return None
    if len(paid) != 1:
        raise Unprocessable(f"The sale was paid in several assets ({', '.join(paid)}): name "
                            "one as asset_id.", code="asset_required", param="asset_id")
    return paid[0]


def _split(requested: int | None, pool: amounts.Pool | None, sale_free: int) -> tuple[int, int]:
    """(stranded tiyn, sale tiyn) of the request; NothingRefundable / RefundTooLarge."""
    stranded_free = pool.amount if pool is not None else 0
    if stranded_free + sale_free == 0:
        raise NothingRefundable("Nothing of this invoice is left to refund: it holds no "
                                "stranded payment and no settled sale not already refunded.")
    if requested is None:
        if stranded_free == 0:
            raise NothingRefundable("The invoice has no stranded money left to refund; give "
                                    "amount to return part of the settled sale.",
                                    param="amount")
        return stranded_free, 0
    if requested > stranded_free + sale_free:
        raise RefundTooLarge(f"amount {requested} is over the {stranded_free + sale_free} tiyn "
                             f"that may still be refunded ({stranded_free} stranded, "
                             f"{sale_free} of the settled sale).", param="amount")
    stranded = min(requested, stranded_free)
    return stranded, requested - stranded


def _price(invoice: Invoice, rates: RateBook, held: amounts.Held, *, amount: int | None,
           asset_id: str | None, address: str | None, kind: RateKind) -> Priced:
    pool = _pick_pool(amounts.free_pools(invoice, held), asset_id)
    sale_free = amounts.free_sale(invoice, held)
    if pool is None and asset_id is not None and sale_free == 0:
        raise NothingRefundable(f"Nothing of this invoice in {asset_id} is left to refund.",
                                param="asset_id")
    stranded, sale_amount = _split(amount, pool, sale_free)
    drawn = amounts.draw(pool, stranded) if pool is not None and stranded else NO_DRAW
    asset = pool.asset_id if pool is not None else _sale_asset(invoice, asset_id, address)
    if asset is None:  # a pure sale refund: the claim page picks and prices the asset
        return Priced(None, None, NO_DRAW, sale_amount, None, None)
    sale_units, rate = _price_sale(invoice, rates, asset, kind, sale_amount)
    if drawn.units + sale_units == 0:
        raise Unprocessable(f"{amount} tiyn is less than one base unit of {asset}.",
                            code="amount_too_small", param="amount")
    return Priced(ASSETS[asset].chain, asset, drawn, sale_amount, sale_units, rate)


async def _held(conn: Conn, invoice_id: str) -> amounts.Held:
    units = {row["transfer_id"]: int(row["units"])
             for row in await q.held_units(conn, invoice_id, LIVE_STATUSES)}
    rows = await q.held_amounts(conn, invoice_id, LIVE_STATUSES)
    stranded = {row["asset"]: int(row["stranded"]) for row in rows if row["asset"]}
    return amounts.Held(units, stranded, sum(int(row["sale"]) for row in rows))


def _first_status(address: str | None, amount: int, auto_approve_max: int) -> RefundStatus:
    if address is None:
        return S.AWAITING_ADDRESS
    return S.PENDING_APPROVAL if amount > auto_approve_max else S.SENDING


async def _locked_invoice(conn: Conn, merchant_id: str, invoice_id: str, *,
                          livemode: bool | None = None) -> Invoice:
    # The lock serialises every refund of this invoice: what live refunds hold is read after.
    if await invoice_queries.select_invoice_for_update(conn, invoice_id, merchant_id,
                                                       livemode=livemode) is None:
        raise NotFound(f"No such invoice: '{invoice_id[:80]}'.", code="resource_missing",
                       param="id")
    return await invoices.get_invoice(conn, merchant_id, invoice_id)


async def _insert(conn: Conn, invoice: Invoice, priced: Priced, status: RefundStatus, *,
                  address: str | None, kind: RateKind, reason: str | None) -> Refund:
    token = random_token(CLAIM_TOKEN_CHARS) if address is None else None
    units = priced.amount_units
    row = await q.insert_refund(conn, (
        new_id("rfd"), invoice.merchant_id, invoice.id, invoice.livemode, status.value,
        priced.stranded.amount + priced.sale_amount, priced.stranded.amount,
        priced.sale_amount, priced.chain, priced.asset_id, Decimal(priced.stranded.units),
        None if priced.sale_units is None else Decimal(priced.sale_units),
        None if units is None else Decimal(units), kind.value, priced.rate, address, token,
        reason,
    ))
    sources = priced.stranded.sources
    if sources:
        await q.insert_sources(conn, row["id"], [s.transfer_id for s in sources],
                               [s.units for s in sources])
    return Refund.from_row(row)


# -- the merchant API ------------------------------------------------------------------------


async def create_refund(conn: Conn, rates: RateBook, *, merchant_id: str, invoice_id: str,
                        amount: int | None, asset_id: str | None, address: str | None,
                        rate_kind: RateKind, reason: str | None,
                        auto_approve_max: int, public_url: str = "",
                        livemode: bool | None = None) -> Refund:
    """A new refund of the invoice: status awaiting_address (no address), pending_approval
    (amount > auto_approve_max) or sending. Raises NothingRefundable, RefundTooLarge,
    InvalidRefundAddress, NotFound (another merchant's invoice, or with `livemode`, the API
    key's mode, an invoice of the other mode). `public_url` prefixes the claim_url in the
    `refund.created` event (a path alone when not given)."""
    invoice = await _locked_invoice(conn, merchant_id, invoice_id, livemode=livemode)
    held = await _held(conn, invoice.id)
    priced = _price(invoice, rates, held, amount=amount, asset_id=asset_id, address=address,
                    kind=rate_kind)
    if address is not None and priced.chain is not None:
        check_address(priced.chain, address)
    total = priced.stranded.amount + priced.sale_amount
    status = _first_status(address, total, auto_approve_max)
    refund = await _insert(conn, invoice, priced, status, address=address, kind=rate_kind,
                           reason=reason)
    await emit(conn, merchant_id=merchant_id, type="refund.created",
               data=refund_object(refund, claim_url(public_url, refund)))
    log.info("refund_created", refund_id=refund.id, invoice_id=invoice.id, amount=total,
             stranded=priced.stranded.amount, sale=priced.sale_amount, status=status.value)
    return refund


async def refund_stranded_payment(conn: Conn, *, invoice_id: str, transfer_id: int,
                                  reason: str | None, public_url: str = "") -> Refund | None:
    """An awaiting_address refund of exactly one stranded payment's free units (the
    exceptions queue's `refund` decision); None when nothing of it is free (already held by
    a live refund, not final, or without a value)."""
    row = await invoice_queries.select_invoice_any_merchant(conn, invoice_id)
    if row is None:
        return None
    invoice = await _locked_invoice(conn, row["merchant_id"], invoice_id)
    payment = next((p for p in invoice.payments if p.id == transfer_id), None)
    if payment is None or payment.refundable == 0:
        return None
    held = await _held(conn, invoice.id)
    free = payment.units - held.units_by_transfer.get(transfer_id, 0)
    amount = payment.refundable * free // payment.units
    if free <= 0 or amount <= 0:
        return None
    drawn = amounts.Draw(amount, free, (amounts.Source(transfer_id, free),))
    priced = Priced(payment.chain, payment.asset_id, drawn, 0, 0, None)
    refund = await _insert(conn, invoice, priced, S.AWAITING_ADDRESS, address=None,
                           kind=RateKind.CURRENT, reason=reason)
    await emit(conn, merchant_id=invoice.merchant_id, type="refund.created",
               data=refund_object(refund, claim_url(public_url, refund)))
    log.info("refund_created", refund_id=refund.id, invoice_id=invoice.id, amount=amount,
             stranded=amount, sale=0, status=refund.status.value, transfer_id=transfer_id)
    return refund


async def get_refund(conn: Conn, *, merchant_id: str, refund_id: str,
                     livemode: bool | None = None) -> Refund:
    """The merchant's refund; with `livemode` (the API key's) one of the other mode is
    missing. None: either mode (the portal)."""
    row = await q.select_refund(conn, refund_id, merchant_id, livemode=livemode)
    if row is None:
        raise _missing(refund_id)
    return Refund.from_row(row)


async def list_refunds(conn: Conn, *, merchant_id: str, invoice_id: str | None,
                       status: RefundStatus | None, starting_after: str | None,
                       limit: int, livemode: bool | None = None) -> list[Refund]:
    after = None
    if starting_after is not None:
        cursor = await q.select_cursor(conn, starting_after, merchant_id, livemode=livemode)
        if cursor is None:
            raise NotFound(f"No such refund: '{starting_after[:80]}'.",
                           code="resource_missing", param="starting_after")
        after = (cursor["created_at"], cursor["id"])
    rows = await q.list_refunds(conn, merchant_id, invoice_id=invoice_id,
                                status=status.value if status else None, after=after,
                                limit=limit, livemode=livemode)
    return [Refund.from_row(row) for row in rows]


async def _move(conn: Conn, refund: Refund, target: RefundStatus) -> Refund:
    transition(refund.status, target)
    row = await q.set_status(conn, refund.id, refund.status.value, target.value)
    if row is None:
        raise IllegalRefundTransition(f"refund {refund.id} changed status concurrently")
    return Refund.from_row(row)


async def cancel_refund(conn: Conn, *, merchant_id: str, refund_id: str,
                        livemode: bool | None = None) -> Refund:
    """Merchant cancel while awaiting_address or pending_approval (RefundNotCancellable);
    with `livemode` (the API key's) a refund of the other mode is missing."""
    row = await q.select_refund_for_update(conn, refund_id, merchant_id, livemode=livemode)
    if row is None:
        raise _missing(refund_id)
    refund = Refund.from_row(row)
    if refund.status not in CANCELLABLE:
        raise RefundNotCancellable(f"Refund {refund.id} is {refund.status}: only a refund "
                                   "awaiting its address or approval can be cancelled.")
    cancelled = await _move(conn, refund, S.CANCELLED)
    log.info("refund_cancelled", refund_id=refund.id, by="merchant")
    return cancelled


async def list_all_refunds(conn: Conn, *, status: RefundStatus | None,
                           starting_after: str | None, limit: int) -> list[Refund]:
    """Every merchant's refunds, newest first (the zone console and its JSON API)."""
    after = None
    if starting_after is not None:
        cursor = await q.select_cursor(conn, starting_after, None)
        if cursor is None:
            raise NotFound(f"No such refund: '{starting_after[:80]}'.",
                           code="resource_missing", param="starting_after")
        after = (cursor["created_at"], cursor["id"])
    rows = await q.list_all_refunds(conn, status=status.value if status else None,
                                    after=after, limit=limit)
    return [Refund.from_row(row) for row in rows]


# -- the claim page (public, by token) ---------------------------------------------------------


async def refund_for_claim(conn: Conn, token: str) -> Refund:
    """The refund behind a claim token (NotFound when unknown)."""
    row = await q.select_by_claim_token(conn, token, for_update=False)
    if row is None:
        raise NotFound("No such refund claim.", code="resource_missing", param="token")
    return Refund.from_row(row)


async def _invoice_of(conn: Conn, refund: Refund) -> Invoice:
    return await invoices.get_invoice(conn, refund.merchant_id, refund.invoice_id)


async def claim_assets(conn: Conn, refund: Refund) -> list[str]:
    """Asset ids the shopper may pick: the refund's own asset when it has one (stranded
    money goes back in kind), else the assets that paid the invoice."""
    if refund.asset_id is not None:
        return [refund.asset_id]
    return amounts.sale_assets(await _invoice_of(conn, refund))


async def claim_refund(conn: Conn, rates: RateBook, *, token: str, asset_id: str,
                       address: str, auto_approve_max: int) -> Refund:
    """The shopper's pick: validates the address for the asset's chain (EIP-55 / on-curve
    base58), prices the sale part, moves awaiting_address -> pending_approval | sending."""
    row = await q.select_by_claim_token(conn, token, for_update=True)
    if row is None:
        raise NotFound("No such refund claim.", code="resource_missing", param="token")
    refund = Refund.from_row(row)
    if refund.status is not S.AWAITING_ADDRESS:
        raise Conflict(f"This refund is {refund.status}: its address can no longer be given.",
                       code="refund_already_claimed")
    if asset_id not in await claim_assets(conn, refund):
        raise InvalidRequest(f"This refund cannot be paid in {asset_id[:40]}.",
                             code="unknown_asset", param="asset_id")
    chain = ASSETS[asset_id].chain
    check_address(chain, address)
    sale_units, rate = refund.sale_units or 0, refund.rate
    if refund.asset_id is None:
        sale_units, rate = _price_sale(await _invoice_of(conn, refund), rates, asset_id,
                                       refund.rate_kind, refund.sale_amount)
    if refund.stranded_units + sale_units == 0:
        raise Unprocessable(f"{refund.amount} tiyn is less than one base unit of {asset_id}.",
                            code="amount_too_small", param="asset_id")
    target = transition(refund.status, _first_status(address, refund.amount, auto_approve_max))
    claimed = await q.claim(conn, refund.id, refund.status.value, target.value, chain=chain,
                            asset_id=asset_id, address=address, sale_units=sale_units,
                            amount_units=refund.stranded_units + sale_units, rate=rate)
    if claimed is None:
        raise IllegalRefundTransition(f"refund {refund.id} changed status concurrently")
    log.info("refund_claimed", refund_id=refund.id, asset=asset_id, status=target.value)
    return Refund.from_row(claimed)


# -- the zone console ----------------------------------------------------------------------------


async def _pending(conn: Conn, refund_id: str) -> Refund:
    row = await q.select_refund_any_merchant_for_update(conn, refund_id)
    if row is None:
        raise _missing(refund_id)
    refund = Refund.from_row(row)
    if refund.status is not S.PENDING_APPROVAL:
        raise Conflict(f"Refund {refund.id} is {refund.status}, not pending approval.",
                       code="refund_not_pending")
    return refund


async def _decide(conn: Conn, refund: Refund, target: RefundStatus, admin: str,
                  reason: str | None) -> Refund:
    transition(refund.status, target)
    row = await q.decide(conn, refund.id, refund.status.value, target.value, admin, reason)
    if row is None:
        raise IllegalRefundTransition(f"refund {refund.id} changed status concurrently")
    log.info("refund_decided", refund_id=refund.id, status=target.value, admin=admin)
    return Refund.from_row(row)


async def approve_refund(conn: Conn, *, refund_id: str, admin: str) -> Refund:
    """pending_approval -> sending; the caller writes the admin audit log line."""
    return await _decide(conn, await _pending(conn, refund_id), S.SENDING, admin, None)


async def reject_refund(conn: Conn, *, refund_id: str, admin: str, reason: str) -> Refund:
    """pending_approval -> cancelled (failure_reason = reason); sources released."""
    return await _decide(conn, await _pending(conn, refund_id), S.CANCELLED, admin, reason)
