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
"""

from __future__ import annotations

from gateway.refunds.models import Refund
from settlement.db import Conn


async def refunds_to_send(conn: Conn, *, limit: int) -> list[Refund]:
    """Refunds in status sending or sent, oldest first: the sender's work list on every pass
    (a restart resumes from here)."""
    raise NotImplementedError


async def on_signed(conn: Conn, *, refund_id: str, tx_hash: str) -> Refund:
    """The signed transaction is stored (same transaction): books the in-transit entry and
    records tx_hash. Status stays sending. Idempotent for the same tx_hash."""
    raise NotImplementedError


async def on_resigned(conn: Conn, *, refund_id: str, tx_hash: str) -> Refund:
    """A Solana transaction whose blockhash expired unseen was replaced: the new tx_hash."""
    raise NotImplementedError


async def on_broadcast(conn: Conn, *, refund_id: str) -> Refund:
    """sending -> sent (the node accepted the bytes, or already had them)."""
    raise NotImplementedError


async def on_final(conn: Conn, *, refund_id: str, fee_units: int) -> Refund:
    """sent -> succeeded: books custody out and the network fee; emits refund.succeeded."""
    raise NotImplementedError


async def on_failed(conn: Conn, *, refund_id: str, reason: str) -> Refund:
    """sending|sent -> failed: reverses the in-transit entry if any, releases the stranded
    sources; emits refund.failed."""
    raise NotImplementedError
