"""The one ledger entry of a settled invoice (`invoice:<id>:settlement`).

Booked by the lifecycle in the transaction that moves the invoice to `settled`, never
earlier (nothing is booked before finality). The entry extends
`settlement.booking.invoice_settlement_postings`:

    Dr custody:<chain>:<asset>       units received (final, credited transfers)
    Cr fx_position:<chain>:<asset>   the same
    Dr fx_position:KZT               kzt_gross
    Cr merchant_payable:<merchant>   kzt_gross - fee
    Cr fee_revenue                   fee

with one crypto leg per asset when a shopper paid in more than one. `kzt_gross` is the
value of what was received at the locked quotes, capped at the invoice amount: a full or
over-payment books the invoice amount (the excess stays in the FX position, refundable); an
accepted under-payment (within tolerance, late, partial) books what actually arrived.
When several assets paid one invoice, the one `Dr fx_position:KZT` line is apportioned per
asset leg by each leg's KZT value at the locked quotes (largest remainder, settlement.money
.allocate) and the parts are kept in the entry's metadata as `kzt_cost` ({code: tiyn}): the
FX position's cost of an asset (settlement.fees) takes only its own part, so converting every
leg releases exactly the booked KZT once.
The fee comes from the merchant's effective-dated schedule (settlement.fees), the one fee
source (NoFeeSchedule when none is in effect). The idempotency key makes a replay after a
crash a no-op that returns the first entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from settlement import ledger
from settlement.booking import invoice_settlement_postings
from settlement.db import Conn
from settlement.errors import BookingError
from settlement.fees.service import fee_for_invoice
from settlement.ledger import JournalEntry, Posting, credit, custody_of, debit, fx_position
from settlement.money import Money, allocate, currency

SETTLEMENT_KIND = "invoice_settlement"


def settlement_key(invoice_id: str) -> str:
    return f"invoice:{invoice_id}:settlement"


def settlement_postings(merchant_id: str, received: Mapping[str, int], kzt_gross: int,
                        fee: int) -> list[Posting]:
    """Postings for units received per currency code (e.g. {"bsc:USDT": 10**18})."""
    parts = sorted((code, units) for code, units in received.items() if units > 0)
    if not parts:
        raise BookingError("a settlement needs received crypto")
    (first_code, first_units), rest = parts[0], parts[1:]
    postings = invoice_settlement_postings(
        merchant_id=merchant_id, received=Money(first_units, currency(first_code)),
        kzt_gross=kzt_gross, fee=fee,
    )
    for code, units in rest:
        money = Money(units, currency(code))
        postings += [debit(custody_of(money.currency), money),
                     credit(fx_position(money.currency), money)]
    return postings


def kzt_cost_by_leg(values: Mapping[str, int], kzt_gross: int) -> dict[str, int]:
    """`kzt_gross` split over the asset legs by their KZT `values` (largest remainder; legs in
    code order, so the split is deterministic); a single leg takes it whole."""
    codes = sorted(values)
    if not codes:
        raise BookingError("a settlement needs at least one asset leg")
    weights = [values[code] for code in codes]
    if sum(weights) == 0:
        weights = [1] * len(codes)
    return dict(zip(codes, allocate(kzt_gross, weights), strict=True))


async def book_settlement(conn: Conn, *, invoice_id: str, merchant_id: str,
                          received: Mapping[str, int], kzt_gross: int, at: datetime,
                          values: Mapping[str, int] | None = None) -> JournalEntry:
    """Post (or find, on replay) the invoice's settlement entry; `values` is each currency
    code's KZT value at the locked quotes (the weights of the FX cost apportionment),
    required when more than one asset paid."""
    legs = [code for code, units in received.items() if units > 0]
    if values is None:
        if len(legs) > 1:
            raise BookingError(f"invoice {invoice_id}: a split-asset settlement needs each "
                               "leg's KZT value")
        values = dict.fromkeys(legs, 1)
    if kzt_gross <= 0:
        raise BookingError(f"invoice {invoice_id}: nothing to book (kzt_gross={kzt_gross})")
    fee = await fee_for_invoice(conn, merchant_id, at, kzt_gross)
    postings = settlement_postings(merchant_id, received, kzt_gross, fee)
    return await ledger.post(
        conn, idempotency_key=settlement_key(invoice_id), kind=SETTLEMENT_KIND,
        postings=postings, reference=invoice_id,
        metadata={"invoice_id": invoice_id, "merchant_id": merchant_id,
                  "kzt_gross": kzt_gross, "fee": fee,
                  "received": {code: str(units) for code, units in sorted(received.items())},
                  "kzt_cost": {code: str(cost) for code, cost in kzt_cost_by_leg(
                      {c: values.get(c, 0) for c in legs},
                      kzt_gross).items()}},
    )
