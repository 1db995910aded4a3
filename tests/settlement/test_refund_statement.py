"""A merchant-funded refund on the payable (the refund sender books kind "refund" under
`refund:<id>:signed`, settlement/refund_booking.py) is the statement's refunds line; its
reversal (the refund failed after signing) nets it out there too."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from settlement import ledger
from settlement.batches.models import ItemCategory, categorize
from settlement.db import Conn
from settlement.money import KZT, Money
from settlement.reports.service import statement


def test_refund_entries_and_their_reversals_are_refunds() -> None:
    assert categorize("refund", None) is ItemCategory.REFUND
    assert categorize("reversal", "refund") is ItemCategory.REFUND
    assert categorize("reversal", "invoice_settlement") is ItemCategory.ADJUSTMENT


async def test_statement_refunds_line(conn: Conn,
                                      make_merchant: Callable[..., Awaitable[str]]) -> None:
    merchant = await make_merchant()
    start = datetime.now(UTC) - timedelta(minutes=1)
    entry = await ledger.post(
        conn, idempotency_key="refund:rfd_statement0001:signed", kind="refund",
        postings=[ledger.debit(ledger.merchant_payable(merchant), Money(50_000, KZT)),
                  ledger.credit(ledger.fx_position(KZT), Money(50_000, KZT))],
        reference="rfd_statement0001")
    end = datetime.now(UTC) + timedelta(minutes=1)
    signed = await statement(conn, merchant, start, end)
    assert (signed.refunds, signed.adjustments, signed.closing) == (50_000, 0, -50_000)
    await ledger.reverse(conn, entry.id, idempotency_key="refund:rfd_statement0001:failed")
    failed = await statement(conn, merchant, start, datetime.now(UTC) + timedelta(minutes=1))
    assert (failed.refunds, failed.adjustments, failed.closing) == (0, 0, 0)
