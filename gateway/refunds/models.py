"""The Refund record (one `refunds` row) and its API object."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from gateway.invoices.serializers import plain_decimal
from gateway.refunds.states import RateKind, RefundStatus
from gateway.timestamps import timestamp


@dataclass(frozen=True, slots=True)
class Refund:
    id: str
    merchant_id: str
    invoice_id: str
    livemode: bool
    status: RefundStatus
    amount: int                 # tiyn = stranded_amount + sale_amount
    stranded_amount: int        # tiyn, given back in kind at the invoice's locked rate
    sale_amount: int            # tiyn, a merchant-funded return of the settled sale
    chain: str | None           # None until the shopper picks the asset (claim page)
    asset_id: str | None
    stranded_units: int
    sale_units: int | None
    amount_units: int | None
    rate_kind: RateKind
    rate: Decimal | None        # KZT per whole unit pricing the sale part
    address: str | None
    claim_token: str | None
    reason: str | None
    failure_reason: str | None
    tx: str | None
    network_fee_units: int | None
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime
    status_changed_at: datetime
    # Why a refund in `sending` is not moving (the sender's last check), else None.
    pending_reason: str | None = None
    pending_detail: str | None = None
    pending_since: datetime | None = None
    pending_checks: int = 0
    next_check_at: datetime | None = None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Refund:
        def units(name: str) -> int | None:
            return None if row[name] is None else int(row[name])

        return cls(
            id=row["id"], merchant_id=row["merchant_id"], invoice_id=row["invoice_id"],
            livemode=row["livemode"], status=RefundStatus(row["status"]),
            amount=row["amount"], stranded_amount=row["stranded_amount"],
            sale_amount=row["sale_amount"], chain=row["chain"], asset_id=row["asset"],
            stranded_units=int(row["stranded_units"]), sale_units=units("sale_units"),
            amount_units=units("amount_units"), rate_kind=RateKind(row["rate_kind"]),
            rate=row["rate"], address=row["address"], claim_token=row["claim_token"],
            reason=row["reason"], failure_reason=row["failure_reason"], tx=row["tx_hash"],
            network_fee_units=units("network_fee_units"), decided_by=row["decided_by"],
            decided_at=row["decided_at"], created_at=row["created_at"],
            status_changed_at=row["status_changed_at"],
            pending_reason=row.get("pending_reason"), pending_detail=row.get("pending_detail"),
            pending_since=row.get("pending_since"), pending_checks=row.get("pending_checks", 0),
            next_check_at=row.get("next_check_at"),
        )


def refund_object(refund: Refund, claim_url: str | None) -> dict[str, Any]:
    """The API's Refund object; `claim_url` is resolved by the caller from `claim_token`."""
    return {
        "id": refund.id,
        "object": "refund",
        "livemode": refund.livemode,
        "invoice": refund.invoice_id,
        "amount": refund.amount,
        "asset_id": refund.asset_id,
        "chain": refund.chain,
        "amount_units": None if refund.amount_units is None else str(refund.amount_units),
        # Positional always: str(Decimal) may print "3.0E+5" for a rate read from numeric.
        "rate": None if refund.rate is None else plain_decimal(refund.rate),
        "rate_kind": str(refund.rate_kind),
        "address": refund.address,
        "claim_url": claim_url,
        "status": str(refund.status),
        "tx": refund.tx,
        "failure_reason": refund.failure_reason,
        "pending_reason": refund.pending_reason,
        "reason": refund.reason,
        "created_at": timestamp(refund.created_at),
    }
