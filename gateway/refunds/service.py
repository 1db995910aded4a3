"""Refund rules: what may be refunded, approval and the claim page.

THE CONTRACT (issue 12). The merchant API, the claim page and the console call
only these functions; each takes a connection inside the caller's transaction, moves status
through `states.transition()` and emits `refund.created` through gateway.events in that
same transaction.

Money: a refund first draws on the invoice's stranded money (what `amount_refundable` shows),
in kind, at the invoice's locked rate; anything above it, on a settled sale only, is a
merchant-funded return (`sale_amount`, priced at `rate_kind`). Booking happens when the
transaction is signed and when it is final (gateway.refunds.sending.outcomes).
"""

from __future__ import annotations

from gateway.rates import RateBook
from gateway.refunds.models import Refund
from gateway.refunds.states import RateKind, RefundStatus
from settlement.db import Conn

# -- the merchant API ------------------------------------------------------------------------


async def create_refund(conn: Conn, rates: RateBook, *, merchant_id: str, invoice_id: str,
                        amount: int | None, asset_id: str | None, address: str | None,
                        rate_kind: RateKind, reason: str | None,
                        auto_approve_max: int) -> Refund:
    """A new refund of the invoice: status awaiting_address (no address), pending_approval
    (amount > auto_approve_max) or sending. Raises NothingRefundable, RefundTooLarge,
    InvalidRefundAddress, NotFound (another merchant's invoice)."""
    raise NotImplementedError


async def get_refund(conn: Conn, *, merchant_id: str, refund_id: str) -> Refund:
    raise NotImplementedError


async def list_refunds(conn: Conn, *, merchant_id: str, invoice_id: str | None,
                       status: RefundStatus | None, starting_after: str | None,
                       limit: int) -> list[Refund]:
    raise NotImplementedError


async def cancel_refund(conn: Conn, *, merchant_id: str, refund_id: str) -> Refund:
    """Merchant cancel while awaiting_address or pending_approval (RefundNotCancellable)."""
    raise NotImplementedError


# -- the claim page (public, by token) ---------------------------------------------------------


async def refund_for_claim(conn: Conn, token: str) -> Refund:
    """The refund behind a claim token (NotFound when unknown)."""
    raise NotImplementedError


async def claim_assets(conn: Conn, refund: Refund) -> list[str]:
    """Asset ids the shopper may pick: the refund's own asset when it has one (stranded
    money goes back in kind), else the assets that paid the invoice."""
    raise NotImplementedError


async def claim_refund(conn: Conn, rates: RateBook, *, token: str, asset_id: str,
                       address: str, auto_approve_max: int) -> Refund:
    """The shopper's pick: validates the address for the asset's chain (EIP-55 / on-curve
    base58), prices the sale part, moves awaiting_address -> pending_approval | sending."""
    raise NotImplementedError


# -- the zone console ----------------------------------------------------------------------------


async def approve_refund(conn: Conn, *, refund_id: str, admin: str) -> Refund:
    """pending_approval -> sending; the caller writes the admin audit log line."""
    raise NotImplementedError


async def reject_refund(conn: Conn, *, refund_id: str, admin: str, reason: str) -> Refund:
    """pending_approval -> cancelled (failure_reason = reason); sources released."""
    raise NotImplementedError
