"""Batch values and how journal entries on a payable are classified inside a batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import asyncpg

from settlement.batches.states import BatchStatus

PAYOUT_KIND = "settlement_payout"
PAID_KIND = "settlement_paid"
INVOICE_KIND = "invoice_settlement"
REVERSAL_KIND = "reversal"


class ItemCategory(StrEnum):
    SALE = "sale"
    REFUND = "refund"
    PAYOUT = "payout"
    PAYOUT_RETURNED = "payout_returned"
    ADJUSTMENT = "adjustment"


def categorize(kind: str, reverses_kind: str | None) -> ItemCategory:
    """What an entry on a merchant's payable means for the merchant's statement."""
    if kind == INVOICE_KIND:
        return ItemCategory.SALE
    if kind == PAYOUT_KIND:
        return ItemCategory.PAYOUT
    if kind == REVERSAL_KIND and reverses_kind == PAYOUT_KIND:
        return ItemCategory.PAYOUT_RETURNED
    if "refund" in kind or (kind == REVERSAL_KIND and "refund" in (reverses_kind or "")):
        # A refund's payable debit (kind "refund", key refund:<id>:signed) and its reversal
        # when the refund fails after signing: the refunds line shows the net.
        return ItemCategory.REFUND
    # Reversed sales (a reorg), manual corrections and anything else the ledger books.
    return ItemCategory.ADJUSTMENT


@dataclass(frozen=True, slots=True)
class Batch:
    """A merchant's batch for one business day; amounts in tiyn."""

    id: str
    merchant_id: str
    business_day: date
    period_start: datetime
    period_end: datetime
    status: BatchStatus
    invoice_count: int
    gross: int
    fees: int
    refunds: int
    adjustments: int
    carried_in: int
    net: int
    payout_amount: int
    carried_out: int
    payout_entry_id: int | None
    paid_entry_id: int | None
    reversal_entry_id: int | None
    payout_file_id: str | None
    bank_reference: str | None
    failure_reason: str | None
    closed_at: datetime | None
    exported_at: datetime | None
    paid_at: datetime | None
    failed_at: datetime | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Batch:
        values = {name: row[name] for name in cls.__slots__}  # type: ignore[attr-defined]
        values["status"] = BatchStatus(row["status"])
        return cls(**values)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.__slots__:  # type: ignore[attr-defined]
            value = getattr(self, name)
            out[name] = value.isoformat() if isinstance(value, date) else value
        out["status"] = str(self.status)
        return out


@dataclass(frozen=True, slots=True)
class Totals:
    """A batch's activity by category: `amount` is the effect on the payable."""

    invoice_count: int = 0
    gross: int = 0
    fees: int = 0
    refunds: int = 0
    adjustments: int = 0
    activity: int = 0
