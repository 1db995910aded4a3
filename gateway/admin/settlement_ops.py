"""Console rules for settlement: batches, payout files, reports and reconciliation runs.

A thin layer over `settlement` and `gateway.settlement_admin` (the same functions the admin
JSON API and CLI use): it turns the console's date fields into the settlement calendar's
business days and writes an audit row in the transaction of every change. Reading a payout
file is audited too: it carries every payee's bank details.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from gateway.admin import audit
from gateway.admin.errors import InvalidForm
from gateway.config import Settings
from gateway.merchants import service as merchants
from gateway.settlement_admin import service as settlement_admin
from settlement.batches import service as batches
from settlement.batches.calendar import CutoffCalendar
from settlement.batches.models import Batch
from settlement.batches.states import BatchStatus
from settlement.db import Conn, db_now
from settlement.payouts.service import ExportRequest, PayoutFile, get_payout_file
from settlement.reconciliation import service as reconciliation
from settlement.reports import render
from settlement.reports.service import Statement, SummaryRow, statement, zone_summary


def calendar(settings: Settings) -> CutoffCalendar:
    return settlement_admin.calendar(settings)


async def last_closed_day(conn: Conn, settings: Settings) -> date:
    return calendar(settings).last_closed_day(await db_now(conn))


@dataclass(frozen=True)
class BatchFilter:
    status: str | None = None
    day_from: date | None = None
    day_to: date | None = None
    merchant_id: str | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in {s.value for s in BatchStatus}:
            raise InvalidForm("status", "unknown batch status")


async def list_batches(conn: Conn, filters: BatchFilter) -> list[Batch]:
    return await batches.list_batches(
        conn, status=BatchStatus(filters.status) if filters.status else None,
        day_from=filters.day_from, day_to=filters.day_to, merchant_id=filters.merchant_id,
        limit=500)


async def close_day(conn: Conn, actor: audit.Actor, settings: Settings, day: date,
                    merchant_id: str | None) -> batches.CloseResult:
    """Close business day `day` for every merchant, or only `merchant_id`."""
    result = await batches.close_business_day(
        conn, calendar(settings), day, merchant_ids=[merchant_id] if merchant_id else None,
        lookback_days=settings.settlement.lookback_days)
    # The close commits batch by batch (each is idempotent); the audit row follows it.
    await audit.record(conn, actor, "batch.close_day", target_type="business_day",
                       target_id=day.isoformat(), after={
                           "merchant_id": merchant_id,
                           "closed": [b.id for b in result.closed],
                           "carried_forward": [b.id for b in result.carried_forward],
                           "attached_entries": result.attached_entries})
    return result


async def export(conn: Conn, actor: audit.Actor, settings: Settings,
                 batch_ids: Sequence[str]) -> PayoutFile | None:
    """One pain.001 file for the given closed batches (all or nothing)."""
    if not batch_ids:
        raise InvalidForm("batch_id", "choose at least one closed batch")
    async with conn.transaction():
        payout = await settlement_admin.export(conn, settings,
                                               ExportRequest(batch_ids=list(batch_ids)))
        if payout is not None:
            await audit.record(conn, actor, "payout_file.export", target_type="payout_file",
                               target_id=payout.id, after=payout)
    return payout


async def payout_file(conn: Conn, actor: audit.Actor, file_id: str) -> PayoutFile:
    found = await get_payout_file(conn, file_id)
    await audit.record(conn, actor, "payout_file.download", target_type="payout_file",
                       target_id=file_id, after={"sha256": found.sha256})
    return found


async def mark(conn: Conn, actor: audit.Actor, batch_id: str, outcome: str,
               bank_reference: str, reason: str | None) -> Batch:
    """exported -> paid | failed, with the bank's reference."""
    async with conn.transaction():
        before = await batches.get_batch(conn, batch_id)
        if outcome == "paid":
            after = await batches.mark_paid(conn, batch_id, bank_reference=bank_reference)
        else:
            after = await batches.mark_failed(conn, batch_id, bank_reference=bank_reference,
                                              reason=reason)
        await audit.record(conn, actor, f"batch.{outcome}", target_type="batch",
                           target_id=batch_id, before=before, after=after)
    return after


async def merchant_statement(conn: Conn, settings: Settings, merchant_id: str,
                             first: date, last: date) -> Statement:
    """The merchant's statement over business days first..last; MerchantNotFound if unknown."""
    await merchants.get_merchant(conn, merchant_id)
    cal = calendar(settings)
    return await statement(conn, merchant_id, cal.period(first)[0], cal.period(last)[1])


async def summary(conn: Conn, settings: Settings, first: date, last: date) -> list[SummaryRow]:
    return await zone_summary(conn, calendar(settings), first, last)


def statement_table(found: Statement) -> render.ReportTable:
    return render.statement_table(found)


def summary_table(rows: Sequence[SummaryRow], first: date, last: date) -> render.ReportTable:
    return render.summary_table(rows, f"Zone summary {first} .. {last}")


async def run_reconciliation(conn: Conn, actor: audit.Actor,
                             settings: Settings) -> reconciliation.Run:
    run = await settlement_admin.run_reconciliation(conn, settings)
    await audit.record(conn, actor, "reconciliation.run", target_type="reconciliation_run",
                       target_id=run.id, after={"status": run.status,
                                                "difference_count": len(run.lines)})
    return run


async def runs(conn: Conn) -> list[dict[str, Any]]:
    return await reconciliation.list_runs(conn)


async def run_detail(conn: Conn, run_id: str) -> dict[str, Any]:
    return await reconciliation.get_run(conn, run_id)
