"""The exceptions queue: stranded, late-not-accepted and overpaid amounts appear with exact
figures, paged without truncation; facts go through the real fact sink and lifecycle on the
real database."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from gateway.admin.exceptions import service
from gateway.chains.facts import Facts
from gateway.chains.models import DetectedTransfer
from gateway.lifecycle.service import apply_invoices
from gateway.transfers.sink import TransferSink
from tests.api.helpers import invoice_body
from tests.plugins.app import ApiClient

WEI = 10**18
FLOORS = (("BNB", 10**12), ("SOL", 10_000))


def _pay(invoice: dict[str, Any], units: int, at: datetime | None = None) -> DetectedTransfer:
    address = invoice["payment_options"][0]["address"]
    return DetectedTransfer("bsc", f"0x{secrets.token_hex(32)}", 0, 1, "0xblock",
                            at or datetime.now(UTC), "BNB", None, "0xpayer", address, units,
                            invoice["id"])


def _tiyn(units: int, rate: str) -> int:
    """Hand rule: floor(units * rate * 100 / 10^18)."""
    return int(units * Decimal(rate) * 100 // WEI)


async def _invoice(client: ApiClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/v1/invoices", invoice_body(assets=["BNB"], **overrides))
    assert response.status == 200, response.body
    body: dict[str, Any] = response.body
    return body


async def _expire(pool: asyncpg.Pool, invoice_id: str) -> None:
    await pool.execute("UPDATE invoices SET created_at = now() - interval '1 hour', "
                       "expires_at = now() - interval '1 second' WHERE id = $1", invoice_id)
    async with pool.acquire() as conn, conn.transaction():
        await apply_invoices(conn, [invoice_id])


async def _items(pool: asyncpg.Pool, **filters: Any) -> list[service.Item]:
    async with pool.acquire() as conn:
        found = await service.page(conn, FLOORS, service.Filters(**filters), None, 500)
    return found.items


async def test_partial_then_expired_is_stranded(client: ApiClient,
                                                db_pool: asyncpg.Pool) -> None:
    invoice = await _invoice(client, amount=100_000)  # 1,000.00 KZT
    option = invoice["payment_options"][0]
    units, rate = int(option["amount_units"]), option["rate"]
    part = _pay(invoice, units * 4 // 10)
    await TransferSink(db_pool, apply_invoices).emit(
        Facts("bsc", seen=[part], final=[part.tx_hash]))
    assert await _items(db_pool, invoice_id=invoice["id"]) == []  # may still be paid
    await _expire(db_pool, invoice["id"])
    [item] = await _items(db_pool, invoice_id=invoice["id"])
    assert (item.kind, item.units, item.tx) == ("stranded", units * 4 // 10, part.tx_hash)
    assert item.value_tiyn == _tiyn(units * 4 // 10, rate)
    assert 39_999 <= item.value_tiyn <= 40_001 and item.age >= timedelta(0)


async def test_late_not_accepted_is_stranded(client: ApiClient,
                                             db_pool: asyncpg.Pool) -> None:
    invoice = await _invoice(client, amount=50_000)
    option = invoice["payment_options"][0]
    units, rate = int(option["amount_units"]), option["rate"]
    await _expire(db_pool, invoice["id"])
    late = _pay(invoice, units)  # the full amount, after expiry, no late window
    await TransferSink(db_pool, apply_invoices).emit(
        Facts("bsc", seen=[late], final=[late.tx_hash]))
    status = await db_pool.fetchrow("SELECT status, exception FROM invoices WHERE id = $1",
                                    invoice["id"])
    assert (status["status"], status["exception"]) == ("expired", "paid_late")
    [item] = await _items(db_pool, invoice_id=invoice["id"])
    assert (item.kind, item.units) == ("stranded", units)
    assert item.value_tiyn == _tiyn(units, rate) and item.value_tiyn >= 50_000


async def test_overpaid_excess_is_listed(client: ApiClient, db_pool: asyncpg.Pool) -> None:
    invoice = await _invoice(client)  # 1,500.00 KZT
    option = invoice["payment_options"][0]
    units, rate = int(option["amount_units"]), option["rate"]
    over = _pay(invoice, units * 2)
    await TransferSink(db_pool, apply_invoices).emit(
        Facts("bsc", seen=[over], final=[over.tx_hash]))
    [item] = await _items(db_pool, invoice_id=invoice["id"])
    assert item.kind == "overpaid" and item.key == f"ov_{invoice['id']}"
    assert item.value_tiyn == _tiyn(units * 2, rate) - 150_000
    assert 149_999 <= item.value_tiyn <= 150_001


async def test_unmatched_payments_page_without_truncation(db_pool: asyncpg.Pool) -> None:
    chain = f"exq{secrets.token_hex(3)}"
    start = datetime.now(UTC)
    transfers = [DetectedTransfer(chain, f"tx{secrets.token_hex(16)}", 0, 1, "b", start,
                                  "SOL", None, "payer", f"addr{n}", 20_000 + n, None)
                 for n in range(1_250)]
    await TransferSink(db_pool, apply_invoices).emit(Facts(chain, seen=transfers))
    seen: list[str] = []
    after: str | None = None
    pages = 0
    async with db_pool.acquire() as conn:
        while True:
            found = await service.page(conn, FLOORS, service.Filters(chain=chain), after, 300)
            seen += [i.key for i in found.items]
            pages += 1
            if found.next_cursor is None:
                break
            after = found.next_cursor
    assert pages == 5 and len(seen) == len(set(seen)) == 1_250  # past the old 1,000 cap
    assert all(k.startswith("tr_") for k in seen)
    await db_pool.execute("DELETE FROM chain_transfers WHERE chain = $1", chain)
