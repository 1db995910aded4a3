"""What the sender reports about a refund's transaction, and what each report does.

THE CONTRACT (issue 12) between gateway.refunds.sending.sender and the refund record: each
function takes a connection inside the sender's transaction, moves status through
`states.transition()`, books through settlement.refund_booking and emits `refund.succeeded` /
`refund.failed` through gateway.events in that same transaction.

Booking (settlement.refund_booking):

    at signing (the signed bytes are stored, before broadcast)
      stranded part  Dr custody:<c>:<a>            stranded_units   (the units were never booked)
                     Cr refunds_in_transit:<c>:<a> stranded_units
      sale part      Dr merchant_payable:<m>       sale_amount      (tiyn)
                     Cr fx_position:KZT            sale_amount
                     Dr fx_position:<c>:<a>        sale_units
                     Cr refunds_in_transit:<c>:<a> sale_units
    at finality      Dr refunds_in_transit:<c>:<a> amount_units
                     Cr custody:<c>:<a>            amount_units
                     Dr network_fees:<c>:<native>  fee units       (the operator's cost)
                     Cr custody:<c>:<native>       fee units
    on failure after signing: the signing entry is reversed.
Test-mode refunds (livemode false) are never booked, as test invoices are not.
The events carry the Refund object with `claim_url` null: by the time a refund is sent its
claim page has served its purpose.
"""

from __future__ import annotations

import asyncpg

from gateway.events.outbox import emit
from gateway.refunds.errors import RefundError
from gateway.refunds.models import Refund, refund_object
from gateway.refunds.sending import queries
from gateway.refunds.states import RefundStatus, transition
from settlement import refund_booking
from settlement.assets import ASSETS
from settlement.db import Conn
from settlement.refund_booking import RefundBooking

FAILURE_REASON_MAX = 500
INSUFFICIENT_FUNDS = "insufficient_funds"


async def refunds_to_send(conn: Conn, *, limit: int) -> list[Refund]:
    """Refunds in status sending or sent, oldest first: the sender's work list on every pass
    (a restart resumes from here)."""
    return [Refund.from_row(row) for row in await queries.refunds_to_send(conn, limit)]


async def _locked(conn: Conn, refund_id: str) -> Refund:
    row = await queries.refund_for_update(conn, refund_id)
    if row is None:
        raise RefundError(f"no refund {refund_id}")
    return Refund.from_row(row)


def booking_of(refund: Refund) -> RefundBooking:
    """What settlement.refund_booking needs about `refund` (its asset is known by now)."""
    if refund.asset_id is None:
        raise RefundError(f"refund {refund.id} has no asset yet")
    return RefundBooking(
        refund_id=refund.id, merchant_id=refund.merchant_id, invoice_id=refund.invoice_id,
        currency_code=ASSETS[refund.asset_id].currency_code,
        stranded_units=refund.stranded_units, sale_amount=refund.sale_amount,
        sale_units=refund.sale_units or 0,
    )


async def _move(conn: Conn, refund: Refund, target: RefundStatus, *,
                failure_reason: str | None = None,
                network_fee_units: int | None = None) -> Refund:
    transition(refund.status, target)
    row: asyncpg.Record | None = await queries.move_refund(
        conn, refund.id, refund.status, target, failure_reason=failure_reason,
        network_fee_units=network_fee_units)
    if row is None:
        raise RefundError(f"refund {refund.id} moved away from {refund.status} meanwhile")
    return Refund.from_row(row)


async def on_signed(conn: Conn, *, refund_id: str, tx_hash: str) -> Refund:
    """The signed transaction is stored (same transaction): books the in-transit entry and
    records tx_hash. Status stays sending. Idempotent for the same tx_hash."""
    refund = await _locked(conn, refund_id)
    if refund.status is not RefundStatus.SENDING:
        raise RefundError(f"refund {refund_id} is {refund.status}, not sending")
    if refund.tx is not None and refund.tx != tx_hash:
        raise RefundError(f"refund {refund_id} was signed as {refund.tx}, not {tx_hash}")
    refund = Refund.from_row(await queries.set_refund_tx_hash(conn, refund_id, tx_hash))
    if refund.livemode:
        await refund_booking.book_signed(conn, booking_of(refund))
    return refund


async def on_resigned(conn: Conn, *, refund_id: str, tx_hash: str) -> Refund:
    """A Solana transaction whose blockhash expired unseen was replaced: the new tx_hash."""
    refund = await _locked(conn, refund_id)
    if refund.status not in (RefundStatus.SENDING, RefundStatus.SENT):
        raise RefundError(f"refund {refund_id} is {refund.status}; it cannot be re-signed")
    return Refund.from_row(await queries.set_refund_tx_hash(conn, refund_id, tx_hash))


async def on_broadcast(conn: Conn, *, refund_id: str) -> Refund:
    """sending -> sent (the node accepted the bytes, or already had them)."""
    refund = await _locked(conn, refund_id)
    if refund.status is RefundStatus.SENT:
        return refund
    return await _move(conn, refund, RefundStatus.SENT)


async def on_final(conn: Conn, *, refund_id: str, fee_units: int) -> Refund:
    """sent -> succeeded: books custody out and the network fee; emits refund.succeeded."""
    refund = await _locked(conn, refund_id)
    if refund.status is RefundStatus.SUCCEEDED:
        return refund
    refund = await _move(conn, refund, RefundStatus.SUCCEEDED, network_fee_units=fee_units)
    if refund.livemode:
        await refund_booking.book_final(conn, booking_of(refund), fee_units)
    await emit(conn, merchant_id=refund.merchant_id, type="refund.succeeded",
               data=refund_object(refund, None))
    return refund


async def on_failed(conn: Conn, *, refund_id: str, reason: str, fee_units: int = 0) -> Refund:
    """sending|sent -> failed: reverses the in-transit entry if any, releases the stranded
    sources; emits refund.failed. `fee_units`: what a transaction that reverted on chain
    still cost (booked to network_fees)."""
    refund = await _locked(conn, refund_id)
    if refund.status is RefundStatus.FAILED:
        return refund
    # The sources are released by the status itself: only live refunds hold units
    # (states.LIVE), so a failed refund's units are refundable again.
    refund = await _move(conn, refund, RefundStatus.FAILED,
                         failure_reason=reason[:FAILURE_REASON_MAX],
                         network_fee_units=fee_units or None)
    if refund.livemode:
        await refund_booking.reverse_signed(conn, refund.id)
        await refund_booking.book_failed_fee(conn, booking_of(refund), fee_units)
    await emit(conn, merchant_id=refund.merchant_id, type="refund.failed",
               data=refund_object(refund, None))
    return refund


async def on_underfunded(conn: Conn, *, refund_id: str, detail: str,
                         recheck_seconds: float) -> Refund | None:  # float-ok
    """The refund wallet cannot pay the refund now: `pending_reason` insufficient_funds with
    `detail`, checked again in `recheck_seconds`. Status stays; None when it moved on."""
    row = await queries.mark_underfunded(conn, refund_id, detail[:FAILURE_REASON_MAX],
                                         recheck_seconds)
    return None if row is None else Refund.from_row(row)


async def on_funded(conn: Conn, *, refund_id: str) -> Refund | None:
    """The wallet can pay it again: `pending_reason` cleared (None when it was not set)."""
    row = await queries.clear_pending(conn, refund_id)
    return None if row is None else Refund.from_row(row)
