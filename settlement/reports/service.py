"""Report rules: a merchant's statement and the zone summary, computed from ledger postings.

Statement identity (all tiyn, the payable seen from the merchant):
    closing = opening + net_sales - refunds + adjustments - payouts + payouts_returned
Zone summary: per business day (the settlement calendar) and asset, the count of settled
invoices (reversed ones count -1), crypto volume (custody debits), KZT volume (the KZT booked
against the FX position), fees (fee revenue) and the FX result of conversions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from settlement.batches.calendar import CutoffCalendar
from settlement.batches.models import ItemCategory, categorize
from settlement.batches.service import list_batches
from settlement.db import Conn
from settlement.ledger import merchant_payable
from settlement.reports import queries
from settlement.reports.errors import InvalidPeriod

MAX_PERIOD = timedelta(days=400)
PRUNE_MARGIN = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Statement:
    merchant_id: str
    start: datetime
    end: datetime
    opening: int
    sales_count: int
    gross: int
    fees: int
    net_sales: int
    refunds: int
    adjustments: int
    payouts: int
    payouts_returned: int
    closing: int
    batches: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["start"], out["end"] = self.start.isoformat(), self.end.isoformat()
        return out


@dataclass(frozen=True, slots=True)
class SummaryRow:
    day: date
    chain: str
    asset: str
    invoice_count: int
    crypto_volume: int
    kzt_volume: int
    fees: int
    fx_result: int
    # Refunds final that day in this asset: how many, the base units that left custody and
    # the tiyn their sale parts took from merchants' payables.
    refund_count: int = 0
    refunded_units: int = 0
    refunds_kzt: int = 0

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["day"] = self.day.isoformat()
        # Crypto base units can exceed 2**53: JSON carries them as strings.
        out["crypto_volume"] = str(self.crypto_volume)
        out["refunded_units"] = str(self.refunded_units)
        return out


def check_period(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidPeriod("period bounds must be timezone-aware")
    if not start < end:
        raise InvalidPeriod(f"period start {start.isoformat()} is not before its end")
    if end - start > MAX_PERIOD:
        raise InvalidPeriod(f"a report period is at most {MAX_PERIOD.days} days")


async def statement(conn: Conn, merchant_id: str, start: datetime, end: datetime) -> Statement:
    """The merchant's payable over [start, end): opening, activity by kind, closing."""
    check_period(start, end)
    code = merchant_payable(merchant_id).code
    edges = await queries.payable_edges(conn, code, start, end)
    opening = int(edges["opening"]) if edges else 0
    closing = int(edges["closing"]) if edges else 0
    sums = {c: [0, 0, 0] for c in ItemCategory}  # count, amount, fee
    for row in await queries.payable_lines(conn, code, start, end):
        bucket = sums[categorize(row["kind"], row["reverses_kind"])]
        bucket[0] += int(row["n"])
        bucket[1] += int(row["amount"])
        bucket[2] += int(row["fee"])
    sale = sums[ItemCategory.SALE]
    batches = await list_batches(conn, merchant_id=merchant_id,
                                 day_from=start.date() - timedelta(days=1), day_to=end.date())
    return Statement(
        merchant_id=merchant_id, start=start, end=end, opening=opening,
        sales_count=sale[0], gross=sale[1] + sale[2], fees=sale[2], net_sales=sale[1],
        refunds=-sums[ItemCategory.REFUND][1], adjustments=sums[ItemCategory.ADJUSTMENT][1],
        payouts=-sums[ItemCategory.PAYOUT][1],
        payouts_returned=sums[ItemCategory.PAYOUT_RETURNED][1], closing=closing,
        batches=[b.as_json() for b in batches
                 if start <= b.period_end <= end],
    )


async def zone_summary(
    conn: Conn, calendar: CutoffCalendar, first_day: date, last_day: date
) -> list[SummaryRow]:
    """Business days first_day..last_day (inclusive) of the calendar, by day and asset."""
    start, end = calendar.period(first_day)[0], calendar.period(last_day)[1]
    check_period(start, end)
    prune_from, prune_to = (start - PRUNE_MARGIN).date(), (end + PRUNE_MARGIN).date()
    found: dict[tuple[date, str], SummaryRow] = {}
    for r in await queries.zone_summary(conn, start=start, end=end, zone=calendar.zone.key,
                                        cutoff=calendar.cutoff, prune_from=prune_from,
                                        prune_to=prune_to):
        chain, _, asset = str(r["asset"]).partition(":")
        found[(r["day"], r["asset"])] = SummaryRow(
            r["day"], chain, asset, int(r["invoice_count"]), int(r["crypto_volume"]),
            int(r["kzt_volume"]), int(r["fees"]), int(r["fx_result"]))
    for r in await queries.zone_refunds(conn, start=start, end=end, zone=calendar.zone.key,
                                        cutoff=calendar.cutoff, prune_from=prune_from,
                                        prune_to=prune_to):
        chain, _, asset = str(r["asset"]).partition(":")
        row = found.get((r["day"], r["asset"])) or SummaryRow(r["day"], chain, asset,
                                                               0, 0, 0, 0, 0)
        found[(r["day"], r["asset"])] = replace(
            row, refund_count=int(r["refund_count"]), refunded_units=int(r["units"]),
            refunds_kzt=int(r["sale_kzt"]))
    return [found[key] for key in sorted(found)]
