"""Four-eyes for money leaving the zone (no SQL: see queries.py; no HTTP types).

Three changes move or redirect a merchant's money: a new payout account (name, BIN, IBAN,
BIC: where pain.001 sends it), a payout file export (the instruction to the bank) and marking
a batch paid (the books say the money left). Each is first stored as a pending request with
what is asked and the record as it was; nothing changes until a second administrator, not
the requester, approves it, and the change then runs in the approval's transaction, as the
approver, checked again against the state of that moment. Requests, approvals and
rejections each write an audit row (who, what, before/after) in their own transaction.
Who may request is the route's business (operators run settlement, admins change
merchants); only an `admin` approves or rejects (the caller checks the role).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import asyncpg

from gateway.admin import audit
from gateway.admin.approvals import queries as q
from gateway.admin.errors import (
    ActionRefused,
    ApprovalDecided,
    ApprovalNotFound,
    OwnApproval,
)
from gateway.admin.settlement import service as settlement_service
from gateway.config import Settings
from gateway.log import get_logger
from gateway.merchants import service as merchants
from gateway.merchants.errors import MerchantNotFound
from gateway.merchants.ids import new_id
from settlement.batches import service as batches
from settlement.batches.models import Batch
from settlement.batches.states import BatchStatus, check_transition
from settlement.db import Conn
from settlement.payouts.service import ExportRequest

log = get_logger(__name__)
LIST_LIMIT = 200


class Kind(StrEnum):
    PAYOUT_ACCOUNT = "merchant.payout_account"
    EXPORT = "payout_file.export"
    MARK_PAID = "batch.mark_paid"


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Approval:
    id: str
    kind: Kind
    target_type: str
    target_id: str
    payload: dict[str, Any]
    before: Any
    status: Status
    requested_by: str | None
    requested_name: str
    requested_at: datetime
    decided_by: str | None
    decided_name: str | None
    decided_at: datetime | None
    reason: str | None
    result: Any

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Approval:
        values = {name: row[name] for name in cls.__dataclass_fields__}
        return cls(**{**values, "kind": Kind(row["kind"]), "status": Status(row["status"])})

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = audit.snapshot(self)
        return out


@dataclass(frozen=True)
class PayoutAccount:
    """Where a merchant's payouts go (already validated by the merchants domain)."""

    name: str
    bin: str
    iban: str
    bic: str | None

    @classmethod
    def of(cls, merchant: merchants.Merchant) -> PayoutAccount:
        return cls(merchant.name, merchant.bin, merchant.iban, merchant.bic)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "bin": self.bin, "iban": self.iban, "bic": self.bic}


async def _request(conn: Conn, actor: audit.Actor, kind: Kind, target: tuple[str, str],
                   payload: dict[str, Any], before: Any) -> Approval:
    async with conn.transaction():
        row = await q.insert_approval(conn, _new_id(), kind.value, target, payload,
                                      audit.snapshot(before), (actor.id, actor.name))
        if row is None:
            raise ApprovalDecided(f"A {kind.value} request for {target[1]} is already waiting "
                                  "for approval.")
        approval = Approval.from_row(row)
        await audit.record(conn, actor, "approval.request", target_type="approval",
                           target_id=approval.id, before=before,
                           after={"kind": kind.value, "target_type": target[0],
                                  "target_id": target[1], **payload})
    log.info("approval_requested", approval_id=approval.id, kind=kind.value,
             target_id=target[1], requested_by=actor.name)
    return approval


def _new_id() -> str:
    return new_id("apr")


# --- requests ----------------------------------------------------------------------------
async def request_payout_account(conn: Conn, actor: audit.Actor, merchant_id: str,
                                 account: PayoutAccount) -> Approval | None:
    """Ask for a new payout account; None when it is the one in place (nothing to ask)."""
    try:
        current = await merchants.get_merchant(conn, merchant_id)
    except MerchantNotFound as exc:
        raise ApprovalNotFound(f"No merchant {merchant_id}.") from exc
    before = PayoutAccount.of(current)
    if before == account:
        return None
    return await _request(conn, actor, Kind.PAYOUT_ACCOUNT, ("merchant", merchant_id),
                          account.as_json(), before.as_json())


async def _exportable(conn: Conn, request: ExportRequest) -> list[Batch]:
    if request.batch_ids:
        found = [await batches.get_batch(conn, batch_id)
                 for batch_id in sorted(set(request.batch_ids))]
        for batch in found:
            check_transition(batch.id, batch.status, BatchStatus.EXPORTED)
        return found
    if request.up_to_day is None:
        raise ActionRefused("Say which batches to export (ids or a business day).")
    found = await batches.list_batches(conn, status=BatchStatus.CLOSED,
                                       day_to=request.up_to_day)
    wanted = set(request.merchant_ids or ())
    return sorted((b for b in found if not wanted or b.merchant_id in wanted),
                  key=lambda b: b.id)


async def request_export(conn: Conn, actor: audit.Actor,
                         request: ExportRequest) -> Approval | None:
    """Ask for a payout file of these closed batches; None when none is there to export."""
    found = await _exportable(conn, request)
    if not found:
        return None
    ids = [b.id for b in found]
    payload = {"batch_ids": ids, "transfers": len(found),
               "control_sum": sum(b.payout_amount for b in found)}
    return await _request(conn, actor, Kind.EXPORT, ("batches", ",".join(ids)), payload,
                          [_batch_view(b) for b in found])


async def request_mark_paid(conn: Conn, actor: audit.Actor, batch_id: str,
                            bank_reference: str) -> Approval:
    """Ask to book an exported batch as paid with the bank's reference."""
    batch = await batches.get_batch(conn, batch_id)
    check_transition(batch.id, batch.status, BatchStatus.PAID)
    reference = bank_reference.strip()
    if not reference:
        raise ActionRefused("bank_reference: is required")
    return await _request(conn, actor, Kind.MARK_PAID, ("batch", batch_id),
                          {"batch_id": batch_id, "bank_reference": reference},
                          _batch_view(batch))


def _batch_view(batch: Batch) -> dict[str, Any]:
    return {"id": batch.id, "merchant_id": batch.merchant_id, "status": str(batch.status),
            "business_day": batch.business_day.isoformat(),
            "payout_amount": batch.payout_amount, "payout_file_id": batch.payout_file_id}


# --- decisions ---------------------------------------------------------------------------
async def _pending(conn: Conn, actor: audit.Actor, approval_id: str) -> Approval:
    row = await q.select_approval(conn, approval_id, for_update=True)
    if row is None:
        raise ApprovalNotFound(f"No approval request {approval_id}.")
    approval = Approval.from_row(row)
    if approval.status is not Status.PENDING:
        raise ApprovalDecided(f"Approval request {approval_id} is already {approval.status}.")
    if actor.id is None:
        raise OwnApproval("Approvals are decided by a named administrator, not the command "
                          "line's `cli` actor.")
    if actor.id == approval.requested_by:
        raise OwnApproval("Four eyes: a second administrator must decide this request, not "
                          "the one who made it.")
    return approval


async def approve(conn: Conn, actor: audit.Actor, settings: Settings,
                  approval_id: str) -> Approval:
    """Run the requested change as `actor` (a second administrator) and record the decision;
    if the change is refused now, nothing is changed and the request stays pending."""
    async with conn.transaction():
        approval = await _pending(conn, actor, approval_id)
        result = await _execute(conn, actor, settings, approval)
        row = await q.decide_approval(conn, approval_id, Status.APPROVED.value,
                                      (actor.id, actor.name), None, audit.snapshot(result))
        assert row is not None  # locked and pending above
        decided = Approval.from_row(row)
        await audit.record(conn, actor, "approval.approve", target_type="approval",
                           target_id=approval_id, before=_decision_view(approval),
                           after=_decision_view(decided))
    log.info("approval_approved", approval_id=approval_id, kind=approval.kind.value,
             approved_by=actor.name)
    return decided


async def reject(conn: Conn, actor: audit.Actor, approval_id: str,
                 reason: str | None) -> Approval:
    """Refuse the request: nothing it asked for happens."""
    async with conn.transaction():
        approval = await _pending(conn, actor, approval_id)
        row = await q.decide_approval(conn, approval_id, Status.REJECTED.value,
                                      (actor.id, actor.name), (reason or "").strip()[:500]
                                      or None, None)
        assert row is not None  # locked and pending above
        decided = Approval.from_row(row)
        await audit.record(conn, actor, "approval.reject", target_type="approval",
                           target_id=approval_id, before=_decision_view(approval),
                           after=_decision_view(decided))
    return decided


def _decision_view(approval: Approval) -> dict[str, Any]:
    return {"kind": approval.kind.value, "target_id": approval.target_id,
            "status": approval.status.value, "payload": approval.payload,
            "requested_by": approval.requested_name, "decided_by": approval.decided_name,
            "reason": approval.reason, "result": approval.result}


async def _execute(conn: Conn, actor: audit.Actor, settings: Settings,
                   approval: Approval) -> Any:
    payload = approval.payload
    if approval.kind is Kind.PAYOUT_ACCOUNT:
        return await _apply_payout_account(conn, actor, approval)
    if approval.kind is Kind.EXPORT:
        payout = await settlement_service.export(
            conn, actor, settings, ExportRequest(batch_ids=list(payload["batch_ids"])))
        if payout is None:
            raise ActionRefused("Nothing left to export: the batches changed since the request.")
        return {"file_id": payout.id, "transfers": payout.transfer_count,
                "control_sum": payout.control_sum, "batch_ids": list(payout.batch_ids)}
    batch = await settlement_service.mark(conn, actor, payload["batch_id"], "paid",
                                          payload["bank_reference"])
    return batch.as_json()


async def _apply_payout_account(conn: Conn, actor: audit.Actor, approval: Approval
                                ) -> dict[str, Any]:
    merchant_id = approval.target_id
    current = PayoutAccount.of(await merchants.get_merchant(conn, merchant_id))
    if current.as_json() != approval.before:
        raise ActionRefused("The payout account changed since this request was made: reject "
                            "it and ask again.")
    new = approval.payload
    row = await q.update_payout_account(conn, merchant_id, new["name"], new["bin"],
                                        new["iban"], new["bic"])
    assert row is not None  # get_merchant just found it; merchants are never deleted
    after = PayoutAccount.of(merchants.Merchant.from_row(row)).as_json()
    await audit.record(conn, actor, "merchant.payout_account", target_type="merchant",
                       target_id=merchant_id, before=current.as_json(), after=after)
    return after


async def list_approvals(conn: Conn, status: str | None = None) -> list[Approval]:
    if status is not None and status not in {s.value for s in Status}:
        raise ActionRefused("status: must be pending, approved or rejected")
    return [Approval.from_row(r) for r in await q.list_approvals(conn, status, LIST_LIMIT)]


async def get_approval(conn: Conn, approval_id: str) -> Approval:
    row = await q.select_approval(conn, approval_id)
    if row is None:
        raise ApprovalNotFound(f"No approval request {approval_id}.")
    return Approval.from_row(row)


def describe(approval: Approval) -> str:
    """One line for pages and the CLI."""
    p = approval.payload
    if approval.kind is Kind.PAYOUT_ACCOUNT:
        return (f"payout account of {approval.target_id} -> {p['name']}, BIN {p['bin']}, "
                f"IBAN {p['iban']}, BIC {p['bic'] or '-'}")
    if approval.kind is Kind.EXPORT:
        return (f"export pain.001 for {p['transfers']} batch(es), "
                f"{p['control_sum']} tiyn: {', '.join(p['batch_ids'])}")
    return f"mark batch {p['batch_id']} paid, bank reference {p['bank_reference']}"

