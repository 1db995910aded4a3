"""Console rules for merchants and invoices (no SQL: see queries.py).

Every change runs in one transaction together with its audit row. The work itself is done by
the owning domains' service functions (gateway.merchants, settlement.fees,
settlement.reconciliation); the two small adapters here cover what those do not offer yet:
editing a merchant's name/bank details/fee columns (validated by the merchants domain's own
`validate`) and reading one merchant's API keys. A fee change also adds an effective-dated
schedule row (settlement.fees) from now, which is what booking uses from then on; rows that
were in effect stay as they were, so past fees remain reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import asyncpg

from gateway.admin import audit
from gateway.admin.approvals import service as approvals
from gateway.admin.console import queries as q
from gateway.admin.errors import InvalidForm, PageNotFound
from gateway.config import Settings
from gateway.errors import ChainError
from gateway.events import queries as event_queries
from gateway.invoices import queries as invoice_queries
from gateway.invoices.models import Invoice, PaymentOption
from gateway.invoices.payments import load_payments
from gateway.invoices.states import InvoiceStatus
from gateway.merchants import service as merchants
from gateway.merchants.errors import MerchantNotFound
from gateway.portal import service as portal
from gateway.portal.errors import InvalidForm as PortalInvalidForm
from gateway.portal.roles import Role
from gateway.portal.settings import POLICY
from gateway.rates import RateBook
from gateway.refunds import service as refunds
from gateway.refunds.models import Refund
from gateway.refunds.sending import offline
from gateway.refunds.sending.errors import BlockhashExpired, NotAwaitingSignature
from gateway.refunds.sending.network import Network
from gateway.refunds.states import RateKind, RefundStatus
from gateway.transfers import queries as transfer_queries
from settlement.db import Conn
from settlement.fees import service as fees
from settlement.fees.errors import NoFeeSchedule
from settlement.ledger import entry_postings

PAGE_SIZE = 50
MAX_EVENTS = 200


# --- merchants ---------------------------------------------------------------------------
@dataclass(frozen=True)
class MerchantPage:
    merchant: merchants.Merchant
    keys: list[asyncpg.Record]
    schedules: list[fees.FeeSchedule]
    portal_users: list[asyncpg.Record]    # the merchant's own portal people and roles
    portal_invites: list[asyncpg.Record]  # their open (unused, unexpired) invites


async def merchant_page(conn: Conn, merchant_id: str) -> MerchantPage:
    try:
        merchant = await merchants.get_merchant(conn, merchant_id)
    except MerchantNotFound as exc:
        raise PageNotFound(f"No merchant {merchant_id}.") from exc
    users, invites = await portal.team(conn, merchant_id)
    return MerchantPage(merchant, await q.select_merchant_keys(conn, merchant_id),
                        await fees.fee_schedules(conn, merchant_id), users, invites)


async def create_merchant(conn: Conn, actor: audit.Actor,
                          data: merchants.MerchantInput) -> merchants.Merchant:
    async with conn.transaction():
        merchant = await merchants.create_merchant(conn, data)
        await audit.record(conn, actor, "merchant.create", target_type="merchant",
                           target_id=merchant.id, after=merchant)
    return merchant


async def _current_fee(conn: Conn, merchant: merchants.Merchant) -> tuple[int, int, int]:
    try:
        schedule = await fees.fee_schedule_at(conn, merchant.id, None)
    except NoFeeSchedule:
        return merchant.fee_bps, merchant.fee_fixed, 0
    return schedule.bps, schedule.fixed, schedule.minimum


@dataclass(frozen=True)
class MerchantUpdate:
    merchant: merchants.Merchant  # as saved now (fees applied, payout account unchanged)
    approval: approvals.Approval | None  # the payout account change waiting for approval


async def update_merchant(conn: Conn, actor: audit.Actor, merchant_id: str,
                          data: merchants.MerchantInput, fee_minimum: int) -> MerchantUpdate:
    """A changed fee takes effect now (schedule row); a changed payout account (name, BIN,
    IBAN, BIC) becomes a request a second administrator must approve (four eyes)."""
    ok = merchants.validate(data)
    if fee_minimum < 0:
        raise InvalidForm("fee_minimum", "must be zero or more tiyn")
    async with conn.transaction():
        before = (await merchant_page(conn, merchant_id)).merchant
        fee_before = await _current_fee(conn, before)
        row = await q.update_merchant_terms(conn, merchant_id, (
            before.name, before.bin, before.iban, before.bic, ok.fee_bps, ok.fee_fixed))
        assert row is not None  # merchant_page just found it; merchants are never deleted
        after = merchants.Merchant.from_row(row)
        fee_after = (ok.fee_bps, ok.fee_fixed, fee_minimum)
        schedule = None
        if fee_after != fee_before:
            schedule = await fees.set_fee_schedule(conn, merchant_id, bps=ok.fee_bps,
                                                   fixed=ok.fee_fixed, minimum=fee_minimum)
        await audit.record(conn, actor, "merchant.update", target_type="merchant",
                           target_id=merchant_id,
                           before={**audit.snapshot(before), "fee_minimum": fee_before[2]},
                           after={**audit.snapshot(after), "fee_minimum": fee_minimum,
                                  "fee_schedule_id": schedule.id if schedule else None})
        approval = await approvals.request_payout_account(
            conn, actor, merchant_id,
            approvals.PayoutAccount(ok.name, ok.bin, ok.iban, ok.bic))
    return MerchantUpdate(after, approval)


async def set_merchant_status(conn: Conn, actor: audit.Actor, merchant_id: str,
                              status: str) -> merchants.Merchant:
    async with conn.transaction():
        before = (await merchant_page(conn, merchant_id)).merchant
        after = await merchants.set_status(conn, merchant_id, status)
        action = "merchant.suspend" if status == "suspended" else "merchant.activate"
        await audit.record(conn, actor, action, target_type="merchant", target_id=merchant_id,
                           before={"status": before.status}, after={"status": after.status})
    return after


async def invite_owner(conn: Conn, actor: audit.Actor, merchant_id: str,
                       email: str) -> portal.Invite:
    """A one-time invite link's token for the merchant's owner (the portal's own invite, as
    the `merchant-user invite` CLI makes it), returned once; only its hash is kept. In the
    admin audit log and, as `zone-admin:<name>`, in the merchant's."""
    async with conn.transaction():
        await merchant_page(conn, merchant_id)
        try:
            made = await portal.invite(
                conn, POLICY, merchant_id, email, Role.OWNER,
                portal.Actor(None, f"zone-admin:{actor.name}", actor.client_ip),
                invited_by=None)
        except PortalInvalidForm as exc:
            raise InvalidForm(exc.field, str(exc).removeprefix(f"{exc.field}: ")) from exc
        await audit.record(conn, actor, "merchant.owner_invite", target_type="merchant",
                           target_id=merchant_id,
                           after={"email": made.email, "role": made.role.value,
                                  "expires_at": made.expires_at})
    return made


async def issue_key(conn: Conn, actor: audit.Actor, merchant_id: str,
                    pepper: str) -> merchants.IssuedKey:
    """A new API key; its secret is returned once and written nowhere (not in the log)."""
    async with conn.transaction():
        await merchant_page(conn, merchant_id)
        key = await merchants.issue_api_key(conn, merchant_id, pepper)
        await audit.record(conn, actor, "api_key.issue", target_type="api_key",
                           target_id=key.id, after={"merchant_id": merchant_id,
                                                    "prefix": key.prefix, "last4": key.last4})
    return key


async def revoke_key(conn: Conn, actor: audit.Actor, merchant_id: str, key_id: str) -> None:
    async with conn.transaction():
        before = await q.select_api_key(conn, key_id)
        if before is None or before["merchant_id"] != merchant_id:
            raise PageNotFound(f"No API key {key_id} for merchant {merchant_id}.")
        await merchants.revoke_api_key(conn, key_id)
        after = await q.select_api_key(conn, key_id)
        await audit.record(conn, actor, "api_key.revoke", target_type="api_key",
                           target_id=key_id, before=before, after=after)


# --- invoices ----------------------------------------------------------------------------
@dataclass(frozen=True)
class InvoiceSearch:
    invoice_id: str | None = None
    order_id: str | None = None
    status: str | None = None
    merchant_id: str | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    after: str | None = None  # the last invoice id of the previous page

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in {s.value for s in InvoiceStatus}:
            raise InvalidForm("status", "unknown invoice status")

    def next_page(self, last_id: str) -> InvoiceSearch:
        return replace(self, after=last_id)


async def search_invoices(conn: Conn, search: InvoiceSearch) -> tuple[list[asyncpg.Record], bool]:
    """One page of matches, newest first, and whether there are more."""
    after = None
    if search.after is not None:
        cursor = await q.select_invoice_cursor(conn, search.after)
        if cursor is None:
            raise InvalidForm("after", "unknown invoice id")
        after = (cursor["created_at"], cursor["id"])
    rows = await q.search_invoices(conn, (
        search.invoice_id, search.order_id, search.status, search.merchant_id,
        search.created_from, search.created_before), after, PAGE_SIZE + 1)
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


@dataclass(frozen=True)
class LedgerEntryView:
    entry: asyncpg.Record
    postings: list[Any]


@dataclass(frozen=True)
class InvoicePage:
    invoice: Invoice
    merchant: merchants.Merchant
    transfers: list[asyncpg.Record]
    events: list[asyncpg.Record]
    ledger: list[LedgerEntryView]
    refunds: list[RefundLine]


async def invoice_page(conn: Conn, settings: Settings, invoice_id: str) -> InvoicePage:
    """An invoice with its quotes, chain transfers, events (oldest first), ledger entries and
    refunds; `amount_refundable` filled in as the API shows it."""
    row = await invoice_queries.select_invoice_any_merchant(conn, invoice_id)
    if row is None:
        raise PageNotFound(f"No invoice {invoice_id}.")
    options = tuple(PaymentOption.from_row(o)
                    for o in await invoice_queries.select_options(conn, [invoice_id]))
    invoice = (await load_payments(conn, [Invoice.from_row(row, options)]))[0]
    events = await event_queries.list_events(conn, invoice.merchant_id, type=None,
                                             invoice_id=invoice_id, starting_after=None,
                                             limit=MAX_EVENTS)
    ledger = [LedgerEntryView(e, await entry_postings(conn, e["id"]))
              for e in await q.select_ledger_entries(conn, invoice_id)]
    merchant = await merchants.get_merchant(conn, invoice.merchant_id)
    return InvoicePage(
        invoice, merchant, await transfer_queries.select_invoice_transfers(conn, invoice_id),
        list(reversed(events)), ledger,
        await invoice_refunds(conn, settings, invoice, merchant.name))


# --- refunds -------------------------------------------------------------------------------
# The rules are gateway.refunds.service's; here: the zone-wide queue, the audit rows of the
# administrators' decisions, and the invoice page's "Refund" button (a claim link for the
# invoice's refundable amount: the shopper names the coin and address).
REFUND_PAGE = 100
REFUND_STATUSES = tuple(s.value for s in RefundStatus)


@dataclass(frozen=True)
class RefundLine:
    refund: Refund
    merchant_name: str
    claim_url: str | None


def _line(refund: Refund, merchant_name: str, public_url: str) -> RefundLine:
    return RefundLine(refund, merchant_name, refunds.claim_url(public_url, refund))


async def refund_queue(conn: Conn, settings: Settings, *, status: str | None,
                       after: str | None) -> tuple[list[RefundLine], str | None]:
    """Every merchant's refunds, newest first, a page at a time; the next page's cursor."""
    if status is not None and status not in REFUND_STATUSES:
        raise InvalidForm("status", f"must be one of {', '.join(REFUND_STATUSES)}")
    found = await refunds.list_all_refunds(
        conn, status=RefundStatus(status) if status else None, starting_after=after,
        limit=REFUND_PAGE + 1)
    names = {m.id: m.name for m in await merchants.list_merchants(conn)}
    lines = [_line(r, names.get(r.merchant_id, r.merchant_id), settings.public_url)
             for r in found[:REFUND_PAGE]]
    return lines, lines[-1].refund.id if len(found) > REFUND_PAGE else None


async def refund_line(conn: Conn, settings: Settings, refund_id: str) -> RefundLine:
    row = await q.select_refund(conn, refund_id)
    if row is None:
        raise PageNotFound(f"No refund {refund_id}.")
    return _line(Refund.from_row(row), row["merchant_name"], settings.public_url)


async def invoice_refunds(conn: Conn, settings: Settings,
                          invoice: Invoice, merchant_name: str) -> list[RefundLine]:
    found = await refunds.list_refunds(conn, merchant_id=invoice.merchant_id,
                                       invoice_id=invoice.id, status=None,
                                       starting_after=None, limit=REFUND_PAGE)
    return [_line(r, merchant_name, settings.public_url) for r in found]


async def decide_refund(conn: Conn, settings: Settings, actor: audit.Actor, refund_id: str,
                        approve: bool, reason: str | None) -> Refund:
    """An administrator approves (-> sending) or rejects (-> cancelled) a refund waiting for
    approval; the decision and its audit row commit together."""
    async with conn.transaction():
        before = (await refund_line(conn, settings, refund_id)).refund
        if approve:
            after = await refunds.approve_refund(conn, refund_id=refund_id, admin=actor.name)
        else:
            after = await refunds.reject_refund(
                conn, refund_id=refund_id, admin=actor.name,
                reason=reason or "rejected by the zone administrator")
        await audit.record(conn, actor, "refund.approve" if approve else "refund.reject",
                           target_type="refund", target_id=refund_id, before=before,
                           after=after)
    return after


async def refund_invoice(conn: Conn, settings: Settings, rates: RateBook, actor: audit.Actor,
                         invoice_id: str, auto_approve_max: int) -> Refund:
    """The invoice page's button: a refund of everything refundable, to a claim link."""
    async with conn.transaction():
        row = await invoice_queries.select_invoice_any_merchant(conn, invoice_id)
        if row is None:
            raise PageNotFound(f"No invoice {invoice_id}.")
        refund = await refunds.create_refund(
            conn, rates, merchant_id=row["merchant_id"], invoice_id=invoice_id, amount=None,
            asset_id=None, address=None, rate_kind=RateKind.CURRENT,
            reason=f"refund from the zone console by {actor.name}",
            auto_approve_max=auto_approve_max)
        await audit.record(conn, actor, "refund.create", target_type="refund",
                           target_id=refund.id, after=refund)
    return refund


async def signing_handoff(conn: Conn, refund: Refund,
                          networks: Mapping[str, Network]) -> offline.UnsignedRefund | None:
    """The unsigned transaction of a refund that waits for its offline signature (the sender
    built it: REFUND_SIGNER=offline), or None (also while an expired one is rebuilt)."""
    if refund.status is not RefundStatus.SENDING:
        return None
    try:
        return await offline.unsigned_transaction(conn, refund.id, networks=networks)
    except (NotAwaitingSignature, BlockhashExpired):
        return None
    except ChainError:
        # The node cannot say whether it expired: show it; a submission is checked again.
        return await offline.built_transaction(conn, refund.id)


async def submit_signed(conn: Conn, actor: audit.Actor, refund_id: str,
                        signed_text: str, networks: Mapping[str, Network]) -> Refund:
    """The operator's signed bytes, checked against the built transaction and its signer,
    stored and booked (gateway.refunds.sending.offline), with the audit row; the sender
    broadcasts them on its next pass."""
    async with conn.transaction():
        signed = await offline.submit_signed(conn, refund_id, signed_text, networks=networks)
        await audit.record(conn, actor, "refund.signed", target_type="refund",
                           target_id=refund_id, after={"tx": signed.tx})
    return signed
