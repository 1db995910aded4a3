"""The ledger entries of a refund (issue 12): at signing, at finality, and the reversal.

A refund gives crypto back from custody. Its stranded part was never booked (the units
reached custody outside any sale), its sale part comes out of the merchant's payable at the
refund's rate. Both wait in `refunds_in_transit:<chain>:<asset>` from the moment the signed
transaction is stored until it is final on chain:

    refund:<id>:signed   (kind "refund", posted with the signed bytes, before broadcast)
      stranded part  Dr custody:<c>:<a>            stranded_units
                     Cr refunds_in_transit:<c>:<a> stranded_units
      sale part      Dr merchant_payable:<m>       sale_amount (tiyn)
                     Cr fx_position:KZT            sale_amount
                     Dr fx_position:<c>:<a>        sale_units
                     Cr refunds_in_transit:<c>:<a> sale_units
    refund:<id>:final    (kind "refund", when the transaction is final)
                     Dr refunds_in_transit:<c>:<a> stranded_units + sale_units
                     Cr custody:<c>:<a>            the same
                     Dr network_fees:<c>:<native>  fee units (the operator's cost)
                     Cr custody:<c>:<native>       fee units
    refund:<id>:failed   (kind "reversal") the mirror of refund:<id>:signed
    refund:<id>:final    (kind "refund", a transaction that reverted on chain) only the
                         network fee it still cost: Dr network_fees / Cr custody native

Every entry balances per currency on its own. The idempotency keys make a replay after a
crash return the first entry. Only livemode refunds are booked (the caller decides).
"""

from __future__ import annotations

from dataclasses import dataclass

from settlement import ledger
from settlement.assets import native_of
from settlement.db import Conn
from settlement.errors import BookingError
from settlement.ledger import (
    JournalEntry,
    Posting,
    credit,
    custody_of,
    debit,
    fx_position,
    merchant_payable,
    network_fees,
    refunds_in_transit,
)
from settlement.money import KZT, Currency, Money, currency

REFUND_KIND = "refund"


@dataclass(frozen=True, slots=True)
class RefundBooking:
    """What the books need to know about one refund."""

    refund_id: str
    merchant_id: str
    invoice_id: str
    currency_code: str  # the refunded asset in the ledger, e.g. "bsc:USDT"
    stranded_units: int
    sale_amount: int  # tiyn debited from the merchant's payable
    sale_units: int  # the sale part in the refunded asset's base units

    @property
    def currency(self) -> Currency:
        return currency(self.currency_code)

    @property
    def units(self) -> int:
        return self.stranded_units + self.sale_units

    @property
    def native(self) -> Currency:
        chain = self.currency.chain
        if chain is None:
            raise BookingError(f"refund {self.refund_id}: {self.currency_code} is not crypto")
        return currency(native_of(chain).currency_code)


def signed_key(refund_id: str) -> str:
    return f"refund:{refund_id}:signed"


def final_key(refund_id: str) -> str:
    return f"refund:{refund_id}:final"


def failed_key(refund_id: str) -> str:
    return f"refund:{refund_id}:failed"


def signed_postings(refund: RefundBooking) -> list[Posting]:
    cur = refund.currency
    postings: list[Posting] = []
    if refund.stranded_units > 0:
        stranded = Money(refund.stranded_units, cur)
        postings += [debit(custody_of(cur), stranded),
                     credit(refunds_in_transit(cur), stranded)]
    if refund.sale_amount > 0:
        if refund.sale_units <= 0:
            raise BookingError(f"refund {refund.refund_id}: a sale part needs sale units")
        tiyn, units = Money(refund.sale_amount, KZT), Money(refund.sale_units, cur)
        postings += [debit(merchant_payable(refund.merchant_id), tiyn),
                     credit(fx_position(KZT), tiyn),
                     debit(fx_position(cur), units),
                     credit(refunds_in_transit(cur), units)]
    if not postings:
        raise BookingError(f"refund {refund.refund_id}: nothing to book")
    return postings


def fee_postings(refund: RefundBooking, fee_units: int) -> list[Posting]:
    if fee_units < 0:
        raise BookingError(f"refund {refund.refund_id}: negative network fee {fee_units}")
    if fee_units == 0:
        return []
    fee = Money(fee_units, refund.native)
    return [debit(network_fees(fee.currency), fee), credit(custody_of(fee.currency), fee)]


def final_postings(refund: RefundBooking, fee_units: int) -> list[Posting]:
    cur = refund.currency
    sent = Money(refund.units, cur)
    return [debit(refunds_in_transit(cur), sent), credit(custody_of(cur), sent),
            *fee_postings(refund, fee_units)]


def _metadata(refund: RefundBooking) -> dict[str, str]:
    return {"refund_id": refund.refund_id, "merchant_id": refund.merchant_id,
            "invoice_id": refund.invoice_id, "currency": refund.currency_code,
            "stranded_units": str(refund.stranded_units),
            "sale_amount": str(refund.sale_amount), "sale_units": str(refund.sale_units)}


async def book_signed(conn: Conn, refund: RefundBooking) -> JournalEntry:
    """Post (or find, on replay) the in-transit entry of a refund whose signed bytes are
    stored."""
    return await ledger.post(
        conn, idempotency_key=signed_key(refund.refund_id), kind=REFUND_KIND,
        postings=signed_postings(refund), reference=refund.refund_id,
        metadata={**_metadata(refund), "stage": "signed"},
    )


async def book_final(conn: Conn, refund: RefundBooking, fee_units: int) -> JournalEntry:
    """Post (or find) the entry taking the refunded units and the network fee out of
    custody."""
    return await ledger.post(
        conn, idempotency_key=final_key(refund.refund_id), kind=REFUND_KIND,
        postings=final_postings(refund, fee_units), reference=refund.refund_id,
        metadata={**_metadata(refund), "stage": "final", "fee_units": str(fee_units)},
    )


async def book_failed_fee(conn: Conn, refund: RefundBooking,
                          fee_units: int) -> JournalEntry | None:
    """Post (or find) the fee a reverted transaction still cost; None when it cost none."""
    postings = fee_postings(refund, fee_units)
    if not postings:
        return None
    return await ledger.post(
        conn, idempotency_key=final_key(refund.refund_id), kind=REFUND_KIND, postings=postings,
        reference=refund.refund_id,
        metadata={**_metadata(refund), "stage": "failed", "fee_units": str(fee_units)},
    )


async def reverse_signed(conn: Conn, refund_id: str) -> JournalEntry | None:
    """Reverse the in-transit entry of a refund that failed; None when nothing was booked."""
    entry = await ledger.find_entry(conn, signed_key(refund_id))
    if entry is None:
        return None
    return await ledger.reverse(conn, entry.id, idempotency_key=failed_key(refund_id))
