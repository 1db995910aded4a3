"""Batch rules: close a business day per merchant, then mark payouts paid or failed.

Closing day D (after its cut-off) happens in two steps:
1. gather — under a per-day advisory lock, open one batch per merchant with entries on its
   payable created before the cut-off and not yet in a batch, and attach those entries
   (late-committing entries from earlier days are swept into the next close, never lost);
2. close — per open batch, under its row lock: net = carried_in (a negative left by the
   merchant's previous batch) + the attached activity. A positive net is moved to payouts in
   transit (Dr merchant_payable / Cr payouts_in_transit, key `batch:<id>:payout`) and the batch
   becomes `closed`; otherwise nothing is paid, the negative is carried forward and the batch
   becomes `carried_forward`.
Two processes closing together: the first holds the day lock, the second finds nothing new to
gather and, waiting on each batch's row lock, finds it closed. The ledger's idempotency key is
a third guard. Paid: Dr payouts_in_transit / Cr bank. Failed: the payout entry is reversed so
the money is on the payable again and goes out with the merchant's next batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import asyncpg
import structlog

from settlement.batches import queries
from settlement.batches.calendar import CutoffCalendar
from settlement.batches.errors import BatchNotFound, BusinessDayNotOver, IllegalBatchTransition
from settlement.batches.models import (
    PAID_KIND,
    PAYOUT_KIND,
    Batch,
    ItemCategory,
    Totals,
    categorize,
)
from settlement.batches.states import BatchStatus, check_transition
from settlement.db import Conn, db_now
from settlement.ledger import (
    BANK,
    PAYOUTS_IN_TRANSIT,
    credit,
    debit,
    merchant_payable,
    post,
    reverse,
)

log = structlog.get_logger(__name__)
DEFAULT_LOOKBACK_DAYS = 7


@dataclass(frozen=True, slots=True)
class CloseResult:
    business_day: date
    closed: list[Batch]
    carried_forward: list[Batch]
    attached_entries: int


def _map_db_error(exc: asyncpg.PostgresError) -> Exception:
    if exc.sqlstate == "SE003":
        return IllegalBatchTransition(str(exc))
    return exc


def totals_from_rows(rows: Sequence[asyncpg.Record]) -> Totals:
    """Sum a batch's items by category (see models.categorize)."""
    count = gross = fees = refunds = adjustments = activity = 0
    for row in rows:
        category = categorize(row["kind"], row["reverses_kind"])
        amount, fee = int(row["amount"]), int(row["fee"])
        activity += amount
        fees += fee
        if category is ItemCategory.SALE:
            count += int(row["n"])
            gross += amount + fee
        elif category is ItemCategory.REFUND:
            refunds += -amount
        else:
            adjustments += amount
    return Totals(count, gross, fees, refunds, adjustments, activity)


async def gather(
    conn: Conn, day: date, start: datetime, end: datetime, *,
    merchant_ids: Sequence[str] | None = None, lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> int:
    """Step 1: open the day's batches and attach unbatched payable entries; returns count."""
    if end > await db_now(conn):
        raise BusinessDayNotOver(f"business day {day} ends at {end.isoformat()}")
    lookback_from = start.date() - timedelta(days=lookback_days)
    async with conn.transaction():
        await queries.lock_day(conn, day)
        await queries.insert_open_batches(conn, lookback_from=lookback_from, start=start,
                                          end=end, day=day, merchant_ids=merchant_ids)
        return await queries.attach_items(conn, lookback_from=lookback_from, end=end, day=day,
                                          merchant_ids=merchant_ids)


async def _post_payout(conn: Conn, batch: Batch, amount: int) -> int:
    entry = await post(
        conn, idempotency_key=f"batch:{batch.id}:payout", kind=PAYOUT_KIND,
        postings=[debit(merchant_payable(batch.merchant_id), amount),
                  credit(PAYOUTS_IN_TRANSIT, amount)],
        reference=batch.id,
        metadata={"batch_id": batch.id, "merchant_id": batch.merchant_id,
                  "business_day": batch.business_day.isoformat()},
    )
    await queries.insert_payout_item(conn, entry_id=entry.id, merchant_id=batch.merchant_id,
                                     batch_id=batch.id, kind=PAYOUT_KIND, amount=-amount,
                                     created_at=entry.created_at)
    return entry.id


async def close_batch(conn: Conn, batch_id: str) -> Batch:
    """Step 2 for one batch (idempotent: a batch no longer open is returned as it is)."""
    async with conn.transaction():
        row = await queries.batch_for_update(conn, batch_id)
        if row is None:
            raise BatchNotFound(f"no settlement batch {batch_id}")
        batch = Batch.from_row(row)
        if batch.status is not BatchStatus.OPEN:
            return batch
        totals = totals_from_rows(await queries.item_totals(conn, batch_id))
        carried_in = min(0, await queries.previous_carried(conn, batch.merchant_id,
                                                           batch.business_day))
        net = carried_in + totals.activity
        target = BatchStatus.CLOSED if net > 0 else BatchStatus.CARRIED_FORWARD
        check_transition(batch_id, batch.status, target)
        entry_id = await _post_payout(conn, batch, net) if net > 0 else None
        values = (totals.invoice_count, totals.gross, totals.fees, totals.refunds,
                  totals.adjustments, carried_in, net, max(net, 0), min(net, 0))
        updated = await queries.update_closed(conn, batch_id, target.value, values, entry_id)
    if updated is None:
        raise IllegalBatchTransition(f"batch {batch_id} changed while closing")
    closed = Batch.from_row(updated)
    log.info("batch_closed", batch_id=batch_id, merchant_id=closed.merchant_id,
             business_day=closed.business_day.isoformat(), status=str(closed.status),
             net=net, payout=closed.payout_amount)
    return closed


async def close_business_day(
    conn: Conn, calendar: CutoffCalendar, day: date, *,
    merchant_ids: Sequence[str] | None = None, lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> CloseResult:
    """Close business day `day` of the calendar for every merchant (or only `merchant_ids`)."""
    start, end = calendar.period(day)
    return await close_period(conn, day, start, end, merchant_ids=merchant_ids,
                              lookback_days=lookback_days)


async def close_period(
    conn: Conn, day: date, start: datetime, end: datetime, *,
    merchant_ids: Sequence[str] | None = None, lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> CloseResult:
    """Close the batches labelled `day` with everything on the payables before `end`."""
    attached = await gather(conn, day, start, end, merchant_ids=merchant_ids,
                            lookback_days=lookback_days)
    closed: list[Batch] = []
    carried: list[Batch] = []
    for batch_id in await queries.open_batch_ids(conn, day, merchant_ids):
        batch = await close_batch(conn, batch_id)
        (closed if batch.status is BatchStatus.CLOSED else carried).append(batch)
    log.info("business_day_closed", business_day=day.isoformat(), closed=len(closed),
             carried_forward=len(carried), entries=attached)
    return CloseResult(day, closed, carried, attached)


async def get_batch(conn: Conn, batch_id: str) -> Batch:
    row = await queries.batch(conn, batch_id)
    if row is None:
        raise BatchNotFound(f"no settlement batch {batch_id}")
    return Batch.from_row(row)


async def _locked(conn: Conn, batch_id: str, target: BatchStatus) -> Batch:
    row = await queries.batch_for_update(conn, batch_id)
    if row is None:
        raise BatchNotFound(f"no settlement batch {batch_id}")
    batch = Batch.from_row(row)
    check_transition(batch_id, batch.status, target)
    return batch


def _reference(bank_reference: str) -> str:
    ref = bank_reference.strip()
    if not 1 <= len(ref) <= 140:
        raise IllegalBatchTransition("the bank's reference must be 1..140 characters")
    return ref


async def mark_paid(conn: Conn, batch_id: str, *, bank_reference: str) -> Batch:
    """exported -> paid: the bank confirmed the transfer (Dr payouts_in_transit / Cr bank)."""
    ref = _reference(bank_reference)
    async with conn.transaction():
        batch = await _locked(conn, batch_id, BatchStatus.PAID)
        entry = await post(
            conn, idempotency_key=f"batch:{batch_id}:paid", kind=PAID_KIND,
            postings=[debit(PAYOUTS_IN_TRANSIT, batch.payout_amount),
                      credit(BANK, batch.payout_amount)],
            reference=batch_id,
            metadata={"batch_id": batch_id, "merchant_id": batch.merchant_id,
                      "bank_reference": ref},
        )
        try:
            row = await queries.update_paid(conn, batch_id, entry.id, ref)
        except asyncpg.PostgresError as exc:
            raise _map_db_error(exc) from exc
    if row is None:
        raise IllegalBatchTransition(f"batch {batch_id} is no longer exported")
    log.info("batch_paid", batch_id=batch_id, bank_reference=ref)
    return Batch.from_row(row)


async def mark_failed(
    conn: Conn, batch_id: str, *, bank_reference: str, reason: str | None = None
) -> Batch:
    """exported -> failed: reverse the payout entry, returning the money to the payable."""
    ref = _reference(bank_reference)
    async with conn.transaction():
        batch = await _locked(conn, batch_id, BatchStatus.FAILED)
        if batch.payout_entry_id is None:
            raise IllegalBatchTransition(f"batch {batch_id} has no payout entry to reverse")
        entry = await reverse(conn, batch.payout_entry_id,
                              idempotency_key=f"batch:{batch_id}:failed")
        try:
            row = await queries.update_failed(conn, batch_id, entry.id, ref, reason)
        except asyncpg.PostgresError as exc:
            raise _map_db_error(exc) from exc
    if row is None:
        raise IllegalBatchTransition(f"batch {batch_id} is no longer exported")
    log.info("batch_failed", batch_id=batch_id, bank_reference=ref, reason=reason)
    return Batch.from_row(row)


async def list_batches(
    conn: Conn, *, status: BatchStatus | None = None, day_from: date | None = None,
    day_to: date | None = None, merchant_id: str | None = None, limit: int = 1000,
) -> list[Batch]:
    rows = await queries.list_batches(
        conn, status=status.value if status else None, day_from=day_from, day_to=day_to,
        merchant_id=merchant_id, limit=limit,
    )
    return [Batch.from_row(r) for r in rows]
