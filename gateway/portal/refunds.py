"""A merchant's refunds in the portal: an invoice's refunds, the refund form (owners and
managers: Perm.REFUND) and the refunds list. The rules are gateway.refunds.service's; here
the form's fields are read and the merchant's audit row is written with the refund."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from gateway.portal.errors import InvalidForm
from gateway.portal.pos import parse_amount
from gateway.portal.service import Actor, record
from gateway.rates import RateBook
from gateway.refunds import service as refunds
from gateway.refunds.models import Refund
from gateway.refunds.states import RateKind, RefundStatus
from settlement.assets import ASSETS
from settlement.db import Conn

LIST_PAGE: Final = 100
REASON_CHARS: Final = 500
STATUSES: Final = tuple(s.value for s in RefundStatus)


@dataclass(frozen=True)
class RefundForm:
    amount: int | None           # tiyn; None: everything refundable
    asset_id: str | None
    address: str | None          # None: a claim link for the shopper
    rate_kind: RateKind
    reason: str | None


@dataclass(frozen=True)
class RefundLine:
    refund: Refund
    claim_url: str | None


def parse_form(amount: str, asset: str, address: str, rate: str, reason: str) -> RefundForm:
    """The refund form's fields; blank amount refunds everything refundable."""
    if asset and asset not in ASSETS:
        raise InvalidForm("asset_id", "is not an asset of the zone")
    if rate not in {k.value for k in RateKind}:
        raise InvalidForm("rate", "must be locked or current")
    if len(reason) > REASON_CHARS:
        raise InvalidForm("reason", f"must be at most {REASON_CHARS} characters")
    return RefundForm(amount=parse_amount(amount) if amount.strip() else None,
                      asset_id=asset or None, address=address.strip() or None,
                      rate_kind=RateKind(rate), reason=reason.strip() or None)


def _line(refund: Refund, public_url: str) -> RefundLine:
    return RefundLine(refund, refunds.claim_url(public_url, refund))


async def invoice_refunds(conn: Conn, merchant_id: str, invoice_id: str,
                          public_url: str) -> list[RefundLine]:
    found = await refunds.list_refunds(conn, merchant_id=merchant_id, invoice_id=invoice_id,
                                       status=None, starting_after=None, limit=LIST_PAGE)
    return [_line(r, public_url) for r in found]


async def merchant_refunds(conn: Conn, merchant_id: str, status: str | None,
                           after: str | None, public_url: str) -> list[RefundLine]:
    if status is not None and status not in STATUSES:
        raise InvalidForm("status", f"must be one of {', '.join(STATUSES)}")
    found = await refunds.list_refunds(
        conn, merchant_id=merchant_id, invoice_id=None,
        status=RefundStatus(status) if status else None, starting_after=after, limit=LIST_PAGE)
    return [_line(r, public_url) for r in found]


async def create(conn: Conn, rates: RateBook, merchant_id: str, actor: Actor, invoice_id: str,
                 form: RefundForm, auto_approve_max: int) -> Refund:
    """The refund and the merchant's audit row, in one transaction."""
    async with conn.transaction():
        refund = await refunds.create_refund(
            conn, rates, merchant_id=merchant_id, invoice_id=invoice_id, amount=form.amount,
            asset_id=form.asset_id, address=form.address, rate_kind=form.rate_kind,
            reason=form.reason, auto_approve_max=auto_approve_max)
        await record(conn, merchant_id, actor, "refund.create", target_type="refund",
                     target_id=refund.id, after={"invoice": invoice_id, "amount": refund.amount,
                                                 "status": refund.status.value,
                                                 "address": refund.address})
    return refund
