"""The exceptions queue as the operator sees it: paged, filtered, never truncated.

An item is one of:

    unmatched         paid to us, no invoice matches
    wrong_asset       an asset the invoice did not offer
    after_settlement  paid to a settled invoice's address or reference
    unapplied         arrived when the invoice could take no more (invalid, cancelled)
    stranded          credited to an invoice that then expired, went invalid or was
                      cancelled: counted once, booked never
    overpaid          the excess of a settled invoice over its amount (tiyn)
    reconciliation    a difference of the latest reconciliation run (address, custody, trial
                      balance, a balance a node could not give): units = the difference
    dust              every payment below its asset's floor to one address, as one line

Decisions: `refund` sets the payment aside and, for a payment of an invoice, creates its
refund awaiting the shopper's address (gateway.refunds); `accept` books a stranded payment as
part of its sale at the locked rate (exception `marked`). Each is audited. A payment (or an
overpaid excess) whose units live refunds hold leaves the queue unless it carries a decision
(then it stays, shown with it: being refunded).
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
from gateway.lifecycle.service import accept_stranded
from gateway.log import get_logger
from gateway.refunds.service import refund_stranded_payment
from settlement.db import Conn
from settlement.reconciliation.errors import AlreadyResolved
from settlement.reconciliation.service import resolve_unmatched

log = get_logger(__name__)
KINDS = ("unmatched", "wrong_asset", "after_settlement", "unapplied", "stranded", "overpaid",
         "dust", "reconciliation")
# Items that are not chain amounts the books lack (reconciliation lists only those).
NOT_STRANDED = frozenset({"overpaid", "reconciliation"})
MAX_PAGE = 500
ACTIONS = ("accept", "refund")


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

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Item:
        return cls(key=row["key"], kind=row["kind"], chain=row["chain"], asset=row["asset"],
                   address=row["address"],
                   units=None if row["units"] is None else int(row["units"]),
                   value_tiyn=row["value_tiyn"], invoice_id=row["invoice_id"],
                   tx=row["tx_hash"], transfers=row["transfers"], seen_at=row["seen_at"],
                   age=row["age"], decision=row["decision"])

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "chain": self.chain, "asset": self.asset,
                "address": self.address,
                "amount_units": None if self.units is None else str(self.units),
                "value": self.value_tiyn, "invoice_id": self.invoice_id, "tx": self.tx,
                "transfers": self.transfers, "seen_at": self.seen_at.isoformat(),
                "age_seconds": int(self.age.total_seconds()), "decision": self.decision}


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


async def open_items(conn: Conn, floors: Sequence[tuple[str, int]], *,
                     page_size: int = MAX_PAGE) -> list[Item]:
    """Every undecided item with chain units (all pages: reconciliation lists them all; the
    overpaid excess is booked custody, and reconciliation's own differences are its own)."""
    items: list[Item] = []
    after: str | None = None
    while True:
        found = await page(conn, floors, Filters(decided=False), after, page_size)
        items += [i for i in found.items if i.units is not None and i.kind not in NOT_STRANDED]
        if found.next_cursor is None:
            return items
        after = found.next_cursor


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
    try:
        invoice = await accept_stranded(conn, row["invoice_id"])
    except NotAcceptable as exc:
        raise Conflict(str(exc), code="not_acceptable") from exc
    return {"key": key, "action": "accept", "invoice_id": invoice.id,
            "status": invoice.status.value, "exception": "marked",
            "amount_paid": invoice.amount_paid}


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


async def decide(conn: Conn, actor: Actor, key: str, action: str,
                 note: str | None = None, public_url: str = "") -> dict[str, Any]:
    """An operator's decision on one item, audited in the same transaction: `accept` books
    a stranded payment's invoice as settled (`marked`); `refund` sets the item aside for the
    refunds run (a dust line: every dust transfer to that address so far) and, for a payment
    of an invoice, creates its refund awaiting the shopper's address (gateway.refunds;
    `public_url` prefixes its claim_url)."""
    if action not in ACTIONS:
        raise InvalidRequest(f"action must be one of {', '.join(ACTIONS)}", param="action")
    async with conn.transaction():
        done = await (_accept(conn, key) if action == "accept"
                      else _set_aside(conn, key, note, public_url))
        await audit.record(conn, actor, f"exception.{action}", target_type="exception",
                           target_id=key, after=done)
    log.info("exception_decided", key=key, action=action, actor=actor.name)
    return done
