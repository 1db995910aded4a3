"""What business events book: the settled-invoice entry and the fee formula.

A settled invoice (DESIGN.md, docs/architecture.md) posts two legs in one entry:

    crypto leg   Dr custody:<chain>:<asset>      received (base units)
                 Cr fx_position:<chain>:<asset>  received
    KZT leg      Dr fx_position:KZT              kzt_gross (tiyn)
                 Cr merchant_payable:<merchant>  kzt_gross - fee
                 Cr fee_revenue                  fee

Zero lines (no fee, or a fee equal to the gross) are left out: postings are positive.
"""

from __future__ import annotations

from uuid import UUID

from settlement.errors import InvalidAmount
from settlement.ledger.accounts import (
    FEE_REVENUE,
    custody_of,
    fx_position,
    merchant_payable,
)
from settlement.ledger.entries import Posting, credit, debit
from settlement.money import KZT, Money

BPS_DENOMINATOR = 10_000


def _non_negative(name: str, value: int) -> int:
    if type(value) is not int or value < 0:
        raise InvalidAmount(f"{name} must be a non-negative int, got {value!r}")
    return value


def fee_for(amount_tiyn: int, bps: int, fixed_tiyn: int, minimum_tiyn: int = 0) -> int:
    """The fee in tiyn on a sale of `amount_tiyn`: bps of it plus a fixed part, at least min.

    The percentage part is rounded half up to the whole tiyn (150 bps of 0.33 KZT, 0.495
    tiyn, is 0 tiyn; of 1.00 KZT, 1.5 tiyn, is 2 tiyn) with integer arithmetic only. The fee
    is not capped at the amount here; booking refuses a fee above the gross.
    """
    _non_negative("amount_tiyn", amount_tiyn)
    _non_negative("fixed_tiyn", fixed_tiyn)
    _non_negative("minimum_tiyn", minimum_tiyn)
    if _non_negative("bps", bps) > BPS_DENOMINATOR:
        raise InvalidAmount(f"bps must be at most {BPS_DENOMINATOR}, got {bps}")
    percentage = (amount_tiyn * bps + BPS_DENOMINATOR // 2) // BPS_DENOMINATOR
    return max(percentage + fixed_tiyn, minimum_tiyn)


def invoice_settlement_postings(
    *, merchant_id: str | int | UUID, received: Money, kzt_gross: int, fee: int
) -> list[Posting]:
    """The postings of a settled invoice: crypto in at the locked rate, KZT owed, fee earned.

    `received` is what arrived on chain (crypto base units); `kzt_gross` the invoice's value
    in tiyn at the quoted rate; `fee` the operator's fee in tiyn (0 <= fee <= kzt_gross).
    """
    if received.currency.chain is None or received.amount <= 0:
        raise InvalidAmount(f"received must be a positive crypto amount, got {received}")
    if _non_negative("kzt_gross", kzt_gross) == 0:
        raise InvalidAmount("kzt_gross must be positive")
    if _non_negative("fee", fee) > kzt_gross:
        raise InvalidAmount(f"fee {fee} exceeds the gross {kzt_gross} tiyn")
    postings = [
        debit(custody_of(received.currency), received),
        credit(fx_position(received.currency), received),
        debit(fx_position(KZT), Money(kzt_gross, KZT)),
    ]
    if kzt_gross > fee:
        postings.append(credit(merchant_payable(merchant_id), Money(kzt_gross - fee, KZT)))
    if fee:
        postings.append(credit(FEE_REVENUE, Money(fee, KZT)))
    return postings
