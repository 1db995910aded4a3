"""Refund rows for the screens' tests, written straight into `refunds` (migration 0090).

The screens (claim page, console, portal) read refunds through gateway.refunds.service; a
test that is about a screen puts the refund it shows in the state it needs with one INSERT,
as the service would have left it. A stranded refund names its asset and units; a sale
refund without an asset waits for the shopper to pick one on the claim page.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import asyncpg

from gateway.chains.models import DetectedTransfer
from gateway.invoices.states import InvoiceStatus
from gateway.merchants.ids import new_id, random_token
from gateway.transfers.store import finalize_transactions, record_transfers
from settlement.assets import ASSETS
from settlement.db import Conn
from tests.browser.support import advance, create_invoice
from tests.plugins.app import ApiClient

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


@dataclass(frozen=True)
class StrandedInvoice:
    merchant_id: str
    invoice_id: str
    asset: str
    units: int      # what arrived, final, and is stranded on the expired invoice
    tx: str


async def partial_then_expired(pool: asyncpg.Pool, client: ApiClient, public_url: str, *,
                               amount: int = 150_000, asset: str = "BNB") -> StrandedInvoice:
    """An invoice paid in part (a final transfer of half the quote), then expired: the part
    is stranded money, all of it refundable. The transfer is stored as the watcher's sink
    stores it; the status moves as the lifecycle moves it (tests/browser/support.advance)."""
    created = await create_invoice(client, amount=amount, assets=[asset])
    option = created["payment_options"][0]
    units, tx = int(option["amount_units"]) // 2, "0x" + secrets.token_hex(32)
    async with pool.acquire() as conn:
        await record_transfers(conn, "bsc", [DetectedTransfer(
            "bsc", tx, -1, 1_000, "0x" + secrets.token_hex(32), None, asset, None,
            "0x" + "33" * 20, option["address"], units, created["id"])])
        await finalize_transactions(conn, "bsc", [tx])
    await advance(pool, created["id"], "invoice.expired", public_url,
                  status=InvoiceStatus.EXPIRED)
    merchant_id = await pool.fetchval("SELECT merchant_id FROM invoices WHERE id = $1",
                                      created["id"])
    return StrandedInvoice(merchant_id, created["id"], asset, units, tx)
