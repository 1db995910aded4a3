"""Applying detected transfers to invoices: classify, decide (rules.py), carry out.

`apply_invoices` runs inside the caller's transaction (the watcher's, together with the
chain facts and the cursor; the scheduler's, for expiry). For each invoice, in id order so
two writers never deadlock, it locks the row, classifies transfers not yet looked at
(credited / wrong_asset / unapplied), recomputes the totals from all of the invoice's
transfers, and carries out the decision: each status move is `transition()` plus a guarded
UPDATE plus its webhook event; settling posts the ledger entry in the same transaction.
Recomputing from the stored transfers (instead of adding deltas) is what makes a replay after
a crash, a reorg or a repeated call land on the same state exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from types import MappingProxyType

import asyncpg

from gateway.errors import NotFound
from gateway.events.outbox import emit, emit_once
from gateway.invoices import queries as invoice_q
from gateway.invoices.errors import IllegalTransition, NotCancellable
from gateway.invoices.models import Invoice, PaymentOption
from gateway.invoices.payments import load_payments
from gateway.invoices.serializers import invoice_object
from gateway.invoices.states import FINAL, InvoiceException, InvoiceStatus, transition
from gateway.lifecycle import queries as q
from gateway.lifecycle.errors import InvoiceMissing, LostRace, NotAcceptable
from gateway.lifecycle.rules import Credit, Decision, Step, Terms, decide, is_dust
from gateway.log import get_logger
from gateway.rates.units import value_tiyn
from gateway.transfers import store as transfers
from gateway.transfers.models import Disposition, TransferStatus
from settlement.assets import ASSETS
from settlement.db import Conn
from settlement.invoice_booking import book_settlement

log = get_logger(__name__)
# Events store their links as paths ("/pay/inv_…"); each reader makes them absolute under
# its public URL (gateway.events.objects.resolve_urls), so the lifecycle needs none.
EVENT_LINKS = ""
Row = asyncpg.Record
# Dust floors per asset id, in base units (settings.settlement.dust_floors); none by default.
DustFloors = Mapping[str, int]
NO_FLOORS: DustFloors = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Payment:
    """A stored transfer as the lifecycle sees it."""

    id: int
    asset: str
    units: int
    status: TransferStatus
    disposition: Disposition | None
    value: int
    at: datetime
    # What makes it the same payment when a reorg drops it and the chain mines it again,
    # possibly at another log index: the identity UPSERT_TRANSFERS carries first_block_time
    # over by (gateway/transfers/queries.py).
    identity: tuple[str, str, str, str, int]

    @classmethod
    def from_row(cls, row: Row) -> Payment:
        return cls(
            id=row["id"], asset=row["asset"], units=int(row["amount"]),
            status=TransferStatus(row["status"]),
            disposition=Disposition(row["disposition"]) if row["disposition"] else None,
            value=row["value_tiyn"] or 0,
            # When it first reached the chain: a re-mining after a reorg does not make it late.
            at=row["first_block_time"] or row["block_time"] or row["detected_at"],
            identity=(row["chain"], row["tx_hash"], row["to_address"], row["asset"],
                      int(row["amount"])),
        )

    @property
    def counts(self) -> bool:
        return self.disposition is Disposition.CREDITED and self.status is not \
            TransferStatus.REMOVED


def _classify_one(p: Payment, status: InvoiceStatus, options: dict[str, PaymentOption],
                  units_before: int, floors: DustFloors) -> Payment:
    """Classify a fresh transfer; `units_before` are the asset's units already credited.

    A credited transfer is worth the growth of the floor-rounded value of all units credited
    in its asset, so split payments are valued like one payment of their total (rounding
    each part down separately would lose up to a tiyn per part).
    """
    option = options.get(p.asset)
    if option is None:
        disposition, value = Disposition.WRONG_ASSET, 0
    elif status in FINAL or is_dust(p.units, floors.get(p.asset)):
        disposition, value = Disposition.UNAPPLIED, 0
    else:
        disposition = Disposition.CREDITED
        value = (value_tiyn(units_before + p.units, option.rate, option.decimals)
                 - value_tiyn(units_before, option.rate, option.decimals))
    return replace(p, disposition=disposition, value=value)


def _classify_fresh(payments: list[Payment], status: InvoiceStatus,
                    options: dict[str, PaymentOption], floors: DustFloors) -> list[Payment]:
    credited: dict[str, int] = {}
    for p in payments:
        if p.counts:
            credited[p.asset] = credited.get(p.asset, 0) + p.units
    fresh = []
    for p in payments:
        if p.disposition is None and p.status is not TransferStatus.REMOVED:
            done = _classify_one(p, status, options, credited.get(p.asset, 0), floors)
            if done.counts:
                credited[p.asset] = credited.get(p.asset, 0) + p.units
            fresh.append(done)
    return fresh


async def _classified(conn: Conn, row: Row, options: dict[str, PaymentOption],
                      floors: DustFloors) -> tuple[list[Payment], list[Payment]]:
    """All of the invoice's payments, and those classified just now."""
    payments = [Payment.from_row(r) for r in
                await transfers.invoice_transfers(conn, row["id"])]
    fresh = _classify_fresh(payments, InvoiceStatus(row["status"]), options, floors)
    if fresh:
        await transfers.classify(conn, [p.id for p in fresh],
                                   [str(p.disposition) for p in fresh], [p.value for p in fresh])
        wrong = [p.id for p in fresh if p.disposition is Disposition.WRONG_ASSET]
        if wrong:
            log.warning("wrong_asset_payment", invoice_id=row["id"], transfer_ids=wrong)
    by_id = {p.id: p for p in fresh}
    return [by_id.get(p.id, p) for p in payments], fresh


def _terms(row: Row) -> Terms:
    return Terms(
        status=InvoiceStatus(row["status"]),
        exception=InvoiceException(row["exception"]) if row["exception"] else None,
        amount=row["amount"], amount_paid=row["amount_paid"], expires_at=row["expires_at"],
        monitoring_window=row["monitoring_window"],
        late_accept_window=row["late_accept_window"],
        tolerance_bps=row["tolerance_bps"], tolerance_tiyn=row["tolerance_tiyn"],
    )


class _Carrier:
    """Carries out one decision on one locked invoice row."""

    def __init__(self, conn: Conn, row: Row, options: dict[str, PaymentOption]) -> None:
        self.conn, self.row, self.options = conn, row, options

    async def _write(self, target: InvoiceStatus, decision: Decision) -> None:
        expected = self.row["status"]
        if target.value != expected:
            transition(expected, target)
        exception = decision.exception.value if decision.exception else None
        row = await q.update_invoice_state(self.conn, self.row["id"], expected, target.value,
                                           exception, decision.amount_paid)
        if row is None:
            raise LostRace(f"invoice {self.row['id']} left {expected} under our row lock")
        self.row = row

    async def invoice(self) -> Invoice:
        """The invoice as its events show it, with its payments as of now."""
        bare = Invoice.from_row(self.row, tuple(self.options.values()))
        return (await load_payments(self.conn, [bare]))[0]

    async def _emit(self, event: str) -> None:
        invoice = await self.invoice()
        await emit(self.conn, merchant_id=self.row["merchant_id"], type=event,
                   data=invoice_object(invoice, EVENT_LINKS))

    async def _settle(self, payments: Sequence[Payment], at: datetime) -> None:
        if not self.row["livemode"]:
            # A test invoice (ccp_test_ key) settles on the devnets but is never booked, so it
            # never reaches the ledger, settlement batches, payouts or zone reports.
            await transfers.unapply_open_credits(self.conn, self.row["id"])
            return
        final = [p for p in payments if p.counts and p.status is TransferStatus.FINALIZED]
        received: dict[str, int] = {}
        values: dict[str, int] = {}
        for p in final:
            code = ASSETS[p.asset].currency_code
            received[code] = received.get(code, 0) + p.units
            values[code] = values.get(code, 0) + p.value
        kzt_gross = min(self.row["amount"], sum(p.value for p in final))
        await book_settlement(self.conn, invoice_id=self.row["id"],
                              merchant_id=self.row["merchant_id"], received=received,
                              values=values, kzt_gross=kzt_gross, at=at)
        await transfers.unapply_open_credits(self.conn, self.row["id"])

    async def _step(self, step: Step, decision: Decision, payments: Sequence[Payment],
                    now: datetime) -> None:
        if step.target is InvoiceStatus.SETTLED:
            await self._settle(payments, now)
        await self._write(step.target, decision)
        await self._emit(step.event)

    async def run(self, decision: Decision, payments: Sequence[Payment], now: datetime) -> None:
        steps = list(decision.steps)
        # An expiry comes first; money that arrived with or after it is announced next.
        head = [steps.pop(0)] if steps and steps[0].target is InvoiceStatus.EXPIRED else []
        for step in head:
            await self._step(step, decision, payments, now)
        if not steps:
            await self._write(InvoiceStatus(self.row["status"]), decision)
        for event in decision.notices:
            await self._emit(event)
        for step in steps:
            await self._step(step, decision, payments, now)


def _once_keys(invoice_id: str, payments: Sequence[Payment]) -> dict[int, str]:
    """A key per live payment naming it across re-minings: its identity, numbered in block
    order among the invoice's live payments of the same identity (one transaction may pay the
    same amount to the same address twice; mined again, the copies come back in that order)."""
    keys: dict[int, str] = {}
    seen: dict[tuple[str, str, str, str, int], int] = {}
    for p in payments:
        if p.status is TransferStatus.REMOVED:
            continue
        nth = seen[p.identity] = seen.get(p.identity, 0) + 1
        keys[p.id] = ":".join(("payment_after_settlement", invoice_id,
                               *map(str, p.identity), str(nth)))
    return keys


async def _announce_after_settlement(conn: Conn, row: Row, options: dict[str, PaymentOption],
                                     payments: Sequence[Payment],
                                     fresh: Sequence[Payment]) -> None:
    """One `invoice.payment_after_settlement` per payment that arrived after the sale was
    booked: it is listed uncounted and refundable, and the status does not move. A payment
    reorged out and mined again comes back as a fresh row; its event's once-key (unique in
    `events`) keeps the merchant from hearing of it twice."""
    late = [p for p in fresh if p.disposition is Disposition.UNAPPLIED]
    if not late:
        return
    keys = _once_keys(row["id"], payments)
    carrier = _Carrier(conn, row, options)
    data = invoice_object(await carrier.invoice(), EVENT_LINKS)
    announced = [p.id for p in late
                 if await emit_once(conn, merchant_id=row["merchant_id"],
                                    type="invoice.payment_after_settlement", data=data,
                                    once_key=keys[p.id]) is not None]
    log.warning("payment_after_settlement", invoice_id=row["id"],
                transfer_ids=[p.id for p in late], announced=announced)


async def apply_invoice(conn: Conn, invoice_id: str, now: datetime,
                        floors: DustFloors = NO_FLOORS) -> InvoiceStatus:
    """Bring one invoice up to date with its transfers and the clock; its status after."""
    row = await q.lock_invoice(conn, invoice_id)
    if row is None:
        raise InvoiceMissing(f"invoice {invoice_id} does not exist")
    options = {o.asset_id: o for o in map(
        PaymentOption.from_row, await invoice_q.select_options(conn, [invoice_id]))}
    payments, fresh = await _classified(conn, row, options, floors)
    terms = _terms(row)
    if terms.status is InvoiceStatus.SETTLED:
        await _announce_after_settlement(conn, row, options, payments, fresh)
    credits = [Credit(p.value, p.status is TransferStatus.FINALIZED, p.at)
               for p in payments if p.counts]
    decision = decide(terms, credits, now)
    if not decision.changes(terms):
        return terms.status
    carrier = _Carrier(conn, row, options)
    await carrier.run(decision, payments, now)
    status = InvoiceStatus(carrier.row["status"])
    log.info("invoice_applied", invoice_id=invoice_id, status=status.value,
             exception=decision.exception, amount_paid=decision.amount_paid,
             events=[s.event for s in decision.steps] + list(decision.notices))
    return status


async def apply_invoices(conn: Conn, invoice_ids: Iterable[str],
                         floors: DustFloors = NO_FLOORS) -> dict[str, InvoiceStatus]:
    """Apply every named invoice (in id order: a fixed lock order avoids deadlocks); transfers
    below their asset's dust floor are classified unapplied (rules.is_dust)."""
    ids = sorted(set(invoice_ids))
    if not ids:
        return {}
    now = await q.select_now(conn)
    return {invoice_id: await apply_invoice(conn, invoice_id, now, floors)
            for invoice_id in ids}


async def accept_stranded(conn: Conn, invoice_id: str) -> Invoice:
    """The operator's accept: an expired invoice's stranded credits (a partial payment, a late
    payment not accepted automatically) are booked as its sale at the locked rates, and it
    moves expired -> settled with the exception `marked` and `invoice.settled`."""
    row = await q.lock_invoice(conn, invoice_id)
    if row is None:
        raise InvoiceMissing(f"invoice {invoice_id} does not exist")
    if row["status"] != InvoiceStatus.EXPIRED.value:
        raise NotAcceptable(f"invoice {invoice_id} is {row['status']}: only an expired "
                            "invoice's stranded payments can be accepted")
    options = {o.asset_id: o for o in map(
        PaymentOption.from_row, await invoice_q.select_options(conn, [invoice_id]))}
    payments, _ = await _classified(conn, row, options, NO_FLOORS)
    credits = [p for p in payments if p.counts]
    if not credits or any(p.status is not TransferStatus.FINALIZED for p in credits):
        raise NotAcceptable(f"invoice {invoice_id} has no stranded payment that is final "
                            "(or one is still pending)")
    value = sum(p.value for p in credits)
    decision = Decision((Step(InvoiceStatus.SETTLED, "invoice.settled"),),
                        InvoiceException.MARKED, value)
    carrier = _Carrier(conn, row, options)
    await carrier.run(decision, payments, await q.select_now(conn))
    log.info("stranded_accepted", invoice_id=invoice_id, value=value)
    return await carrier.invoice()


async def cancel_invoice(conn: Conn, merchant_id: str, invoice_id: str, *,
                         livemode: bool | None = None) -> Invoice:
    """The merchant's cancel: new -> cancelled while nothing is paid, with `invoice.cancelled`,
    in the caller's transaction (the lifecycle is the one writer of invoice status); with
    `livemode` (the API key's) an invoice of the other mode is missing."""
    row = await invoice_q.select_invoice_for_update(conn, invoice_id, merchant_id,
                                                    livemode=livemode)
    if row is None:
        # Same answer for "does not exist" and "belongs to another merchant".
        raise NotFound(f"No such invoice: '{invoice_id}'.", code="resource_missing", param="id")
    if row["amount_paid"] > 0:
        raise NotCancellable("A payment was already received for this invoice.")
    try:
        transition(row["status"], InvoiceStatus.CANCELLED)
    except IllegalTransition as exc:
        raise NotCancellable(f"Invoice is {row['status']} and can no longer be cancelled.") \
            from exc
    options = {o.asset_id: o for o in map(
        PaymentOption.from_row, await invoice_q.select_options(conn, [invoice_id]))}
    terms = _terms(row)
    carrier = _Carrier(conn, row, options)
    await carrier._write(InvoiceStatus.CANCELLED, Decision((), terms.exception,
                                                           terms.amount_paid))
    await carrier._emit("invoice.cancelled")
    return await carrier.invoice()
