"""Shared helpers of the refund tests: invoices paid through the real fact sink.

Figures: the test app's fixed BNB rate is 300,000.00 KZT per BNB, so an invoice of 1,500.00
KZT (150,000 tiyn) asks exactly 0.005 BNB = 5 * 10^15 wei, and 10^13 wei is worth 300 tiyn.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg

from gateway.chains.facts import Facts
from gateway.chains.models import DetectedTransfer
from gateway.lifecycle.service import apply_invoices
from gateway.payments.eip55 import checksum_hex
from gateway.rates import RateBook
from gateway.refunds import service
from gateway.refunds.states import RateKind, RefundStatus
from gateway.transfers.sink import TransferSink
from tests.api.helpers import invoice_body
from tests.plugins.app import ApiClient

WEI = 10**18
ASKED_WEI = 5 * 10**15  # 0.005 BNB for 1,500.00 KZT at 300,000 KZT/BNB


def bsc_address() -> str:
    """A fresh, EIP-55 checksummed BNB Chain address."""
    return checksum_hex(secrets.token_hex(20))


async def new_invoice(client: ApiClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/v1/invoices", invoice_body(assets=["BNB"], **overrides))
    assert response.status == 200, response.body
    body: dict[str, Any] = response.body
    return body


def transfer(invoice: dict[str, Any], units: int, asset: str = "BNB") -> DetectedTransfer:
    address = invoice["payment_options"][0]["address"]
    return DetectedTransfer("bsc", f"0x{secrets.token_hex(32)}", 0, 1, "0xblock",
                            datetime.now(UTC), asset, None, "0xpayer", address, units,
                            invoice["id"])


async def pay(sink: TransferSink, invoice: dict[str, Any], units: int,
              asset: str = "BNB") -> DetectedTransfer:
    """A payment seen and final at once."""
    paid = transfer(invoice, units, asset)
    await sink.emit(Facts("bsc", seen=[paid], final=[paid.tx_hash]))
    return paid


async def expire(pool: asyncpg.Pool, invoice_id: str) -> None:
    await pool.execute("UPDATE invoices SET created_at = now() - interval '1 hour', "
                       "expires_at = now() - interval '1 second' WHERE id = $1", invoice_id)
    async with pool.acquire() as conn, conn.transaction():
        await apply_invoices(conn, [invoice_id])


async def overpaid_invoice(client: ApiClient, sink: TransferSink) -> dict[str, Any]:
    """1,500.00 KZT paid with 0.0055 BNB: settled, 150.00 KZT (0.0005 BNB) overpaid."""
    invoice = await new_invoice(client)
    assert invoice["payment_options"][0]["amount_units"] == str(ASKED_WEI)
    await pay(sink, invoice, ASKED_WEI + ASKED_WEI // 10)
    return invoice


async def partial_expired_invoice(client: ApiClient, sink: TransferSink,
                                  pool: asyncpg.Pool) -> dict[str, Any]:
    """1,500.00 KZT paid with 0.002 BNB (600.00 KZT), then expired: all of it stranded."""
    invoice = await new_invoice(client)
    await pay(sink, invoice, 2 * 10**15)
    await expire(pool, invoice["id"])
    return invoice


async def pending_refund(pool: asyncpg.Pool, base_url: str, merchant_id: str,
                         api_key: str) -> str:
    """A refund of 600.00 KZT (stranded, with an address) waiting for approval."""
    async with aiohttp.ClientSession() as http:
        client = ApiClient(http, base_url, api_key)
        invoice = await partial_expired_invoice(client, TransferSink(pool, apply_invoices),
                                                pool)
    async with pool.acquire() as conn, conn.transaction():
        refund = await service.create_refund(
            conn, RateBook(()), merchant_id=merchant_id, invoice_id=invoice["id"], amount=None,
            asset_id=None, address=bsc_address(), rate_kind=RateKind.CURRENT, reason=None,
            auto_approve_max=0)
    assert refund.status is RefundStatus.PENDING_APPROVAL
    return refund.id
