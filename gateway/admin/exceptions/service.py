"""The exceptions queue as the operator sees it: paged, filtered, never truncated.

An item is one of:

    unmatched         paid to us, no invoice matches
    wrong_asset       an asset the invoice did not offer
    after_settlement  paid to a settled invoice's address or reference
    unapplied         arrived when the invoice could take no more (invalid, cancelled)
    stranded          credited to an invoice that then expired, went invalid or was
                      cancelled: counted once, booked never
    overpaid          the excess of a settled invoice over its amount (tiyn)
    vanished          a booked transfer its chain no longer has (found by `chains resync`
                      after a fork below finality): booked, and not on chain
    reconciliation    a difference of the latest reconciliation run (address, custody, trial
                      balance, a refund hot wallet, a balance a node could not give): units =
                      the difference
    dust              every payment below its asset's floor to one address, as one line

Decisions (`actions_for` says which an item takes): `refund` sets the payment aside and,
for a payment of an invoice, creates its refund awaiting the shopper's address
(gateway.refunds); `assign` hands a payment no sale took (unmatched, wrong asset, after
settlement, unapplied) to an invoice the operator names, and the lifecycle credits it if that
invoice can still take it (else it stays listed, unapplied, with the decision); `accept`
books a stranded payment as part of its sale at the locked rate (exception `marked`; only
on an expired invoice: an invalid or cancelled one's sale cannot be booked); `acknowledge`
records that the operator has seen a vanished transfer, or a reconciliation difference,
and handles it outside the gateway (nothing booked is undone; a vanished transfer stops
being a reconciliation line, a difference counts as explained in later runs while it stays
the same; a refund wallet's acknowledged difference, a top-up or a withdrawal outside the
gateway, makes the balance that run read the wallet's new opening). Each decision is audited.
A payment (or an overpaid excess) whose units live refunds hold leaves the queue unless it
carries a decision (then it stays, shown with it: being refunded).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from gateway.admin import audit
from gateway.admin.audit import Actor
from gateway.admin.exceptions import queries as q
from gateway.errors import Conflict, InvalidRequest, NotFound
from gateway.lifecycle.errors import NotAcceptable
from gateway.lifecycle.service import accept_stranded, apply_invoices
from gateway.log import get_logger
from gateway.refunds.service import refund_stranded_payment
from gateway.transfers.store import reassign
from settlement.db import Conn
from settlement.reconciliation.errors import AlreadyResolved, DifferenceNotFound
from settlement.reconciliation.service import acknowledge_difference, resolve_unmatched

log = get_logger(__name__)
KINDS = ("unmatched", "wrong_asset", "after_settlement", "unapplied", "stranded", "overpaid",
         "dust", "vanished", "reconciliation")
# Items that are not chain amounts the books lack (reconciliation lists only those; it lists
# vanished transfers, booked amounts the chain lacks, as lines of their own).
NOT_STRANDED = frozenset({"overpaid", "vanished", "reconciliation"})
MAX_PAGE = 500
ACTIONS = ("accept", "assign", "refund", "acknowledge")
ASSIGNABLE = frozenset({"unmatched", "wrong_asset", "after_settlement", "unapplied"})
REFUNDABLE = frozenset({*ASSIGNABLE, "stranded", "overpaid", "dust"})


def actions_for(kind: str, invoice_status: str | None = None) -> tuple[str, ...]:
    """The decisions an item of `kind` takes (`accept` only for a payment stranded on an
    expired invoice: an invalid or cancelled invoice's sale cannot be booked)."""
    if kind == "stranded" and invoice_status == "expired":
        return ("accept", "refund")
    if kind in ASSIGNABLE:
        return ("assign", "refund")
    if kind in REFUNDABLE:
        return ("refund",)
    if kind in ("vanished", "reconciliation"):
        return ("acknowledge",)
    return ()


@dataclass(frozen=True, slots=True)
class Filters:
    kind: str | None = None
    chain: str | None = None
    asset: str | None = None
    invoice_id: str | None = None
    decided: bool | None = None


@dataclass(frozen=True, slots=True)
class Item:
    key: str
    kind: str
    chain: str | None
    asset: str | None
    address: str | None
    units: int | None
    value_tiyn: int | None
    invoice_id: str | None
    tx: str | None
    transfers: int
    seen_at: datetime
    age: timedelta
    decision: str | None
    invoice_status: str | None = None

    @property
    def actions(self) -> tuple[str, ...]:
        return () if self.decision is not None else actions_for(self.kind, self.invoice_status)

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Item:
        return cls(key=row["key"], kind=row["kind"], chain=row["chain"], asset=row["asset"],
                   address=row["address"],
                   units=None if row["units"] is None else int(row["units"]),
                   value_tiyn=row["value_tiyn"], invoice_id=row["invoice_id"],
                   tx=row["tx_hash"], transfers=row["transfers"], seen_at=row["seen_at"],
                   age=row["age"], decision=row["decision"],
                   invoice_status=row["invoice_status"])

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "chain": self.chain, "asset": self.asset,
                "address": self.address,
                "amount_units": None if self.units is None else str(self.units),
                "value": self.value_tiyn, "invoice_id": self.invoice_id, "tx": self.tx,
                "transfers": self.transfers, "seen_at": self.seen_at.isoformat(),
                "age_seconds": int(self.age.total_seconds()), "decision": self.decision,
                "actions": list(self.actions)}


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Item]
    next_cursor: str | None


def encode_cursor(item: Item) -> str:
    return f"{item.seen_at.isoformat()}|{item.key}"


def decode_cursor(text: str) -> tuple[datetime, str]:
    at, sep, key = text.partition("|")
    try:
        when = datetime.fromisoformat(at)
    except ValueError as exc:
        raise InvalidRequest("malformed cursor", param="after") from exc
    if not sep or not key or when.tzinfo is None:
        raise InvalidRequest("malformed cursor", param="after")
    return when, key


async def page(conn: Conn, floors: Sequence[tuple[str, int]], filters: Filters,
               after: str | None, limit: int) -> Page:
    """One page of the queue, oldest first; `next_cursor` is None on the last page."""
    if filters.kind is not None and filters.kind not in KINDS:
        raise InvalidRequest(f"kind must be one of {', '.join(KINDS)}", param="kind")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit must be 1..{MAX_PAGE}", param="limit")
    rows = await q.select_page(
        conn, floors, kind=filters.kind, chain=filters.chain, asset=filters.asset,
        invoice_id=filters.invoice_id, decided=filters.decided,
        after=decode_cursor(after) if after else None, limit=limit + 1)
    items = [Item.from_row(r) for r in rows[:limit]]
    more = len(rows) > limit
    return Page(items, encode_cursor(items[-1]) if more and items else None)


async def _undecided(conn: Conn, floors: Sequence[tuple[str, int]], kind: str | None,
                     page_size: int) -> list[Item]:
    items: list[Item] = []
    after: str | None = None
    while True:
        found = await page(conn, floors, Filters(kind=kind, decided=False), after, page_size)
        items += found.items
        if found.next_cursor is None:
            return items
        after = found.next_cursor


async def open_items(conn: Conn, floors: Sequence[tuple[str, int]], *,
                     page_size: int = MAX_PAGE) -> list[Item]:
    """Every undecided item with chain units (all pages: reconciliation lists them all; the
    overpaid excess is booked custody, and reconciliation's own differences are its own)."""
    return [i for i in await _undecided(conn, floors, None, page_size)
            if i.units is not None and i.kind not in NOT_STRANDED]


async def open_vanished(conn: Conn, *, page_size: int = MAX_PAGE) -> list[Item]:
    """Every booked transfer a chain no longer has, without a decision (all pages)."""
    return await _undecided(conn, (), "vanished", page_size)


def resolution_id(key: str) -> str:
    """The id a decision on this item is stored under (a transfer's own id, as the
    unmatched-payment decisions always were; else the item's key)."""
    transfer_id = _transfer_id(key)
    return str(transfer_id) if transfer_id is not None else key


def _transfer_id(key: str) -> int | None:
    digits = key.removeprefix("tr_")
    return int(digits) if key.startswith("tr_") and digits.isdigit() else None


async def _accept(conn: Conn, key: str) -> dict[str, Any]:
    transfer_id = _transfer_id(key)
    if transfer_id is None:
        raise Conflict(f"{key} is no payment: only a payment stranded on an expired invoice "
                       "can be accepted into its sale", code="not_acceptable")
    row = await q.select_payment(conn, transfer_id)
    if row is None:
        raise NotFound(f"no payment exception {key}", param="key")
    if row["kind"] != "stranded":
        raise Conflict(f"{key} is {row['kind']}: only a payment stranded on an expired "
                       "invoice can be accepted into its sale", code="not_acceptable")
    if row["invoice_status"] != "expired":
        raise Conflict(f"{key} is stranded on invoice {row['invoice_id']}, which is "
                       f"{row['invoice_status']}: only a payment stranded on an expired "
                       "invoice can be accepted into its sale; refund it instead",
                       code="not_acceptable")
    try:
        invoice = await accept_stranded(conn, row["invoice_id"])
    except NotAcceptable as exc:
        raise Conflict(str(exc), code="not_acceptable") from exc
    return {"key": key, "action": "accept", "invoice_id": invoice.id,
            "status": invoice.status.value, "exception": "marked",
            "amount_paid": invoice.amount_paid}


async def _assign(conn: Conn, key: str, invoice_id: str | None,
                  note: str | None) -> dict[str, Any]:
    transfer_id = _transfer_id(key)
    row = await q.select_payment(conn, transfer_id) if transfer_id is not None else None
    if transfer_id is None or row is None:
        raise NotFound(f"no payment exception {key}", param="key")
    if row["kind"] not in ASSIGNABLE:
        raise Conflict(f"{key} is {row['kind']}: only a payment no sale took (unmatched, "
                       "wrong asset, after settlement, unapplied) can be assigned",
                       code="action_not_available")
    if not invoice_id:
        raise InvalidRequest("invoice_id is required to assign a payment", param="invoice_id")
    if not await q.invoice_exists(conn, invoice_id):
        raise NotFound(f"no invoice {invoice_id}", param="invoice_id")
    try:
        done = await resolve_unmatched(conn, str(transfer_id), action="assign",
                                       invoice_id=invoice_id, note=note)
    except AlreadyResolved as exc:
        raise Conflict(str(exc), code="already_decided") from exc
    await reassign(conn, transfer_id, invoice_id)
    statuses = await apply_invoices(conn, [invoice_id])
    return {"key": key, **done, "invoice_status": statuses[invoice_id].value}


async def _set_aside(conn: Conn, key: str, note: str | None,
                     public_url: str) -> dict[str, Any]:
    transfer_id = _transfer_id(key)
    payment = None
    if transfer_id is not None:
        payment = await q.select_payment(conn, transfer_id)
        if payment is None:
            raise NotFound(f"no payment exception {key}", param="key")
        stored = str(transfer_id)  # the id unmatched_payment_resolutions already uses
    elif key.startswith(("ov_", "dust:")):
        stored = key
    else:
        raise NotFound(f"no exception {key}", param="key")
    try:
        done = await resolve_unmatched(conn, stored, action="refund", note=note)
    except AlreadyResolved as exc:
        raise Conflict(str(exc), code="already_decided") from exc
    if payment is not None and payment["invoice_id"] is not None:
        # The payment of an invoice goes back through a refund awaiting the shopper's address.
        refund = await refund_stranded_payment(conn, invoice_id=payment["invoice_id"],
                                               transfer_id=payment["id"], reason=note,
                                               public_url=public_url)
        done = {**done, "refund": refund.id if refund else None}
    return {"key": key, **done}


def _vanished_id(key: str) -> int | None:
    digits = key.removeprefix("vt_")
    return int(digits) if key.startswith("vt_") and digits.isdigit() else None


def _difference_of(key: str) -> tuple[str, int]:
    """(run id, line seq) of a `rec_<run id>_<seq>` key."""
    run_id, _, seq = key.removeprefix("rec_").rpartition("_")
    if not run_id or not seq.isdigit():
        raise NotFound(f"no reconciliation difference {key}", param="key")
    return run_id, int(seq)


async def _acknowledge_difference(conn: Conn, key: str, note: str | None) -> dict[str, Any]:
    run_id, seq = _difference_of(key)
    try:
        done = await acknowledge_difference(conn, run_id, seq, note)
    except DifferenceNotFound as exc:
        raise NotFound(str(exc), param="key") from exc
    except AlreadyResolved as exc:
        raise Conflict(str(exc), code="already_decided") from exc
    return {"key": key, **done}


async def _acknowledge(conn: Conn, key: str, note: str | None) -> dict[str, Any]:
    if key.startswith("rec_"):
        return await _acknowledge_difference(conn, key, note)
    transfer_id = _vanished_id(key)
    if transfer_id is None:
        raise Conflict(f"{key} cannot be acknowledged: only a vanished transfer can",
                       code="action_not_available")
    row = await q.decide_vanished(conn, transfer_id, "acknowledge")
    if row is None:
        if await q.select_vanished(conn, transfer_id) is None:
            raise NotFound(f"no vanished transfer {key}", param="key")
        raise Conflict(f"{key} already has a decision", code="already_decided")
    return {"key": key, "action": "acknowledge", "chain": row["chain"], "note": note,
            "decided_at": row["decided_at"].isoformat()}


# The kind of an item its key names (a payment's, `tr_<id>`, depends on its transfer).
KEY_KINDS = (("vt_", "vanished"), ("ov_", "overpaid"), ("dust:", "dust"),
             ("rec_", "reconciliation"))


def _check_available(key: str, action: str) -> None:
    kind = next((k for prefix, k in KEY_KINDS if key.startswith(prefix)), None)
    if kind is None:
        if action == "acknowledge":  # a payment: accept or refund, checked against its row
            raise Conflict(f"{key} is a payment: it can be refunded (or, stranded on an "
                           "expired invoice, accepted), not acknowledged",
                           code="action_not_available")
        return
    available = actions_for(kind, None)
    if action not in available:
        raise Conflict(f"{key} is {kind}: the decisions it takes are "
                       f"{', '.join(available) or 'none'}, not {action}",
                       code="action_not_available")


async def _apply(conn: Conn, key: str, action: str, note: str | None,
                 invoice_id: str | None, public_url: str) -> dict[str, Any]:
    _check_available(key, action)
    if action == "accept":
        return await _accept(conn, key)
    if action == "assign":
        return await _assign(conn, key, invoice_id, note)
    if action == "acknowledge":
        return await _acknowledge(conn, key, note)
    return await _set_aside(conn, key, note, public_url)


async def decide(conn: Conn, actor: Actor, key: str, action: str,
                 note: str | None = None, *, invoice_id: str | None = None,
                 public_url: str = "") -> dict[str, Any]:
    """An operator's decision on one item, audited in the same transaction: `accept` books
    a stranded payment's invoice as settled (`marked`); `assign` hands a payment to
    `invoice_id` (the lifecycle credits it if it can); `refund` sets the item aside for the
    refunds run (a dust line: every dust transfer to that address so far) and, for a payment
    of an invoice, creates its refund awaiting the shopper's address (`public_url` prefixes
    its claim_url); `acknowledge`
    closes a vanished transfer or explains a reconciliation difference."""
    if action not in ACTIONS:
        raise InvalidRequest(f"action must be one of {', '.join(ACTIONS)}", param="action")
    async with conn.transaction():
        done = await _apply(conn, key, action, note, invoice_id, public_url)
        await audit.record(conn, actor, f"exception.{action}", target_type="exception",
                           target_id=key, after=done)
    log.info("exception_decided", key=key, action=action, actor=actor.name)
    return done
