"""Exporting closed batches as one pain.001 file: closed -> exported, all or nothing.

The caller supplies the payee data (name, KZ IBAN, BIC, BIN) per merchant: settlement never
reads the gateway's merchants table. Within one transaction the batches are locked, every
payee and the debtor are validated, the document is built and XSD-validated, stored in
`payout_files` and the batches become `exported`. Any refusal (a broken IBAN or BIN, a missing
payee, a batch no longer closed) rolls everything back before anything is written. The file
on disk is written after the commit from the stored bytes; if that write fails the same bytes
can be fetched again (`payout_file`), so a payout is never generated twice.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import asyncpg
import structlog

from settlement.batches import queries as batch_queries
from settlement.batches.models import Batch
from settlement.batches.states import BatchStatus, check_transition
from settlement.db import Conn
from settlement.payouts import queries
from settlement.payouts.errors import InvalidPayee, PayoutError, PayoutFileNotFound
from settlement.payouts.pain001 import (
    CreditTransfer,
    Party,
    PurposeCodes,
    build_pain001,
    write_document,
)

log = structlog.get_logger(__name__)

PayeeLookup = Callable[[Conn, Sequence[str]], Awaitable[Mapping[str, Party]]]


@dataclass(frozen=True, slots=True)
class PayoutFile:
    id: str
    message_id: str
    execution_date: date
    transfer_count: int
    control_sum: int
    sha256: str
    created_at: datetime
    batch_ids: tuple[str, ...]
    document: bytes

    def file_name(self) -> str:
        return f"{self.id}.pain.001.001.09.xml"


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """What to export: explicit batch ids, or every closed batch up to a business day."""

    batch_ids: Sequence[str] | None = None
    up_to_day: date | None = None
    merchant_ids: Sequence[str] | None = None


def _transfer(batch: Batch, payee: Party) -> CreditTransfer:
    text = f"CryptoCity settlement {batch.business_day.isoformat()} {batch.id}"
    return CreditTransfer(batch.id, batch.payout_amount, payee, text)


async def _lock_batches(conn: Conn, request: ExportRequest) -> list[Batch]:
    if request.batch_ids:
        rows = await batch_queries.batches_by_id_for_update(conn, request.batch_ids)
        found = {r["id"] for r in rows}
        missing = sorted(set(request.batch_ids) - found)
        if missing:
            raise PayoutError(f"no such batches: {', '.join(missing)}")
    elif request.up_to_day is not None:
        rows = await batch_queries.closed_up_to_for_update(conn, request.up_to_day,
                                                           request.merchant_ids)
    else:
        raise PayoutError("say which batches to export (ids or a business day)")
    batches = [Batch.from_row(r) for r in rows]
    for batch in batches:
        check_transition(batch.id, batch.status, BatchStatus.EXPORTED)
    return batches


def _transfers(batches: Sequence[Batch], payees: Mapping[str, Party]) -> list[CreditTransfer]:
    missing = sorted({b.merchant_id for b in batches} - set(payees))
    if missing:
        raise InvalidPayee(f"no payee bank details for merchants: {', '.join(missing)}")
    return [_transfer(b, payees[b.merchant_id]) for b in batches]


async def export_batches(
    conn: Conn, request: ExportRequest, *, payees: PayeeLookup, debtor: Party,
    purpose: PurposeCodes, execution_date: date, now: datetime,
    out_dir: Path | None = None,
) -> PayoutFile | None:
    """Export closed batches into one validated pain.001 file; None when nothing to export."""
    file_id = f"pof_{secrets.token_hex(10)}"
    async with conn.transaction():
        batches = await _lock_batches(conn, request)
        if not batches:
            return None
        transfers = _transfers(batches, await payees(conn, [b.merchant_id for b in batches]))
        document = build_pain001(message_id=file_id, created_at=now,
                                 execution_date=execution_date, debtor=debtor,
                                 transfers=transfers, purpose=purpose)
        row = await queries.insert_payout_file(
            conn, file_id=file_id, message_id=file_id, execution_date=execution_date,
            transfer_count=len(transfers), control_sum=sum(t.amount_tiyn for t in transfers),
            sha256=hashlib.sha256(document).hexdigest(), document=document,
        )
        updated = await batch_queries.update_exported(conn, [b.id for b in batches], file_id)
        if len(updated) != len(batches):
            raise PayoutError("a batch changed status during export; nothing was exported")
    payout = _payout_file(row, tuple(sorted(updated)), document)
    if out_dir is not None:
        write_document(out_dir / payout.file_name(), document)
    log.info("payout_file_exported", file_id=file_id, transfers=payout.transfer_count,
             control_sum=payout.control_sum)
    return payout


def _payout_file(row: asyncpg.Record, batch_ids: tuple[str, ...], document: bytes) -> PayoutFile:
    return PayoutFile(row["id"], row["message_id"], row["execution_date"],
                      row["transfer_count"], row["control_sum"], row["sha256"],
                      row["created_at"], batch_ids, document)


async def get_payout_file(conn: Conn, file_id: str) -> PayoutFile:
    row = await queries.payout_file(conn, file_id)
    if row is None:
        raise PayoutFileNotFound(f"no payout file {file_id}")
    return _payout_file(row, (), bytes(row["document"]))
