"""Refund rows for the screens' tests, written straight into `refunds` (migration 0090).

The screens (claim page, console, portal) read refunds through gateway.refunds.service; a
test that is about a screen puts the refund it shows in the state it needs with one INSERT,
as the service would have left it. A stranded refund names its asset and units; a sale
refund without an asset waits for the shopper to pick one on the claim page.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.merchants.ids import new_id, random_token
from settlement.assets import ASSETS
from settlement.db import Conn

INSERT_REFUND = """
INSERT INTO refunds (id, merchant_id, invoice_id, livemode, status, amount, stranded_amount,
    sale_amount, chain, asset, stranded_units, sale_units, amount_units, rate_kind, rate,
    address, claim_token, reason, tx_hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'locked', $14, $15, $16, $17,
    $18)
"""


@dataclass(frozen=True)
class RefundRow:
    id: str
    claim_token: str | None


async def insert_refund(conn: Conn, *, merchant_id: str, invoice_id: str, amount: int,
                        status: str = "awaiting_address", asset: str | None = None,
                        units: int | None = None, address: str | None = None,
                        claim: bool = True, tx: str | None = None,
                        reason: str | None = "returned goods") -> RefundRow:
    """A refund of `amount` tiyn: stranded (in kind) when `asset` is given, else a sale
    refund; with a claim token unless `claim` is False (the merchant gave the address)."""
    refund_id, token = new_id("rfd"), random_token(32) if claim else None
    chain = ASSETS[asset].chain if asset else None
    stranded = amount if asset else 0
    await conn.execute(
        INSERT_REFUND, refund_id, merchant_id, invoice_id, True, status, amount, stranded,
        amount - stranded, chain, asset, units or 0, 0 if asset else None,
        units if asset else None, None, address, token, reason, tx)
    return RefundRow(refund_id, token)
