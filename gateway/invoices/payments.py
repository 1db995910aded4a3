"""The payments an invoice received, as its API object lists them, and what is refundable
(less the stranded money its live refunds hold: gateway.refunds).

Every transfer tied to the invoice is listed (including those that are not part of the sale),
valued in tiyn at the invoice's locked rate for its asset:

    counted      credited and not reverted, on an invoice whose sale stands or may still stand
                 (new, processing, settled); credits on an expired, invalid or cancelled
                 invoice are not part of any sale
    refundable   the value of every final payment that is not counted, plus the excess of a
                 settled invoice's counted value over its amount (the booking takes at most the
                 amount); pending payments are not refundable until final, reverted never

A wrong-asset payment has no locked rate of its own: it is valued at the locked rate of an
offered option of the same symbol (USDT on the other chain), else its value is null and it
is left out of `amount_refundable` (an operator values it by hand from the exceptions queue).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import asyncpg

from gateway.invoices import queries as q
from gateway.invoices.models import Invoice, InvoicePayment, PaymentOption
from gateway.invoices.states import InvoiceStatus
from gateway.rates.units import value_tiyn
from gateway.timestamps import timestamp
from settlement.assets import ASSETS
from settlement.db import Conn

S = InvoiceStatus
# Statuses whose credited payments are (or may still become) the sale.
SALE_STANDS = frozenset({S.NEW, S.PROCESSING, S.SETTLED})
# The API's names for a transfer's chain status.
PAYMENT_STATUS = {"detected": "pending", "finalized": "final", "removed": "reverted"}


def _option_for(asset_id: str, symbol: str | None,
                options: Sequence[PaymentOption]) -> PaymentOption | None:
    exact = next((o for o in options if o.asset_id == asset_id), None)
    if exact is not None or symbol is None:
        return exact
    return next((o for o in options if o.symbol == symbol), None)


def _value(row: asyncpg.Record, option: PaymentOption | None) -> int | None:
    if row["disposition"] == "credited" and row["value_tiyn"] is not None:
        # The lifecycle's own valuation (split payments valued as one; see lifecycle).
        return int(row["value_tiyn"])
    if option is None:
        return None
    return value_tiyn(int(row["amount"]), option.rate, option.decimals)


def payment_from_row(row: asyncpg.Record, status: InvoiceStatus,
                     options: Sequence[PaymentOption]) -> InvoicePayment:
    asset = ASSETS.get(row["asset"])
    symbol = asset.symbol if asset else None
    chain_status = PAYMENT_STATUS[row["status"]]
    counted = (row["disposition"] == "credited" and chain_status != "reverted"
               and status in SALE_STANDS)
    return InvoicePayment(
        id=row["id"], chain=row["chain"], asset_id=row["asset"], tx=row["tx_hash"],
        index=row["log_index"], units=int(row["amount"]),
        value=_value(row, _option_for(row["asset"], symbol, options)),
        status=chain_status, counted=counted, seen_at=row["detected_at"],
        final_at=row["finalized_at"],
    )


def amount_refundable(status: InvoiceStatus, amount: int,
                      payments: Iterable[InvoicePayment]) -> int:
    """Tiyn value of what arrived and is not part of a settled (or still possible) sale."""
    items = list(payments)
    loose = sum(p.refundable for p in items)
    if status is not S.SETTLED:
        return loose
    booked = sum(p.value or 0 for p in items if p.counted and p.status == "final")
    return loose + max(0, booked - amount)


def payment_object(p: InvoicePayment) -> dict[str, Any]:
    return {
        "id": p.id,
        "chain": p.chain,
        "asset_id": p.asset_id,
        "tx": p.tx,
        "index": p.index,
        "amount_units": str(p.units),
        "value": p.value,
        "status": p.status,
        "counted": p.counted,
        "seen_at": timestamp(p.seen_at),
        "final_at": timestamp(p.final_at) if p.final_at else None,
    }


def with_payments(invoice: Invoice, rows: Iterable[asyncpg.Record],
                  refunds: Sequence[asyncpg.Record] = ()) -> Invoice:
    """The invoice with its payments (its transfer rows), its refunds and amount refundable
    (less the stranded money its live refunds hold) filled in."""
    payments = tuple(payment_from_row(r, invoice.status, invoice.options) for r in rows)
    gross = amount_refundable(invoice.status, invoice.amount, payments)
    held = sum(int(r["stranded_amount"]) for r in refunds if r["live"])
    return replace(invoice, payments=payments, amount_refundable=max(0, gross - held),
                   refunds=tuple(r["id"] for r in refunds))


async def load_payments(conn: Conn, invoices: Sequence[Invoice]) -> list[Invoice]:
    """The invoices with their payments and refunds, in one query each for all of them."""
    if not invoices:
        return []
    by_invoice: dict[str, list[asyncpg.Record]] = {i.id: [] for i in invoices}
    for row in await q.select_payments(conn, list(by_invoice)):
        by_invoice[row["invoice_id"]].append(row)
    refunds: dict[str, list[asyncpg.Record]] = {i.id: [] for i in invoices}
    for row in await q.select_refunds(conn, list(refunds)):
        refunds[row["invoice_id"]].append(row)
    return [with_payments(i, by_invoice[i.id], refunds[i.id]) for i in invoices]
