"""An invoice lists every payment it received (`payments`) and what is refundable.

Facts go through the real fact sink and lifecycle on the real database (no chain needed):
the figures are checked by hand from the invoice's locked BNB rate.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from gateway.chains.facts import Facts
from gateway.chains.models import DetectedTransfer
from gateway.lifecycle.service import apply_invoices
from gateway.transfers.sink import TransferSink
from settlement.db import Conn
from tests.api.helpers import assert_valid, invoice_body
from tests.plugins.app import ApiClient

WEI = 10**18


def _pay(invoice: dict[str, Any], units: int, asset: str = "BNB") -> DetectedTransfer:
    address = invoice["payment_options"][0]["address"]
    return DetectedTransfer("bsc", f"0x{secrets.token_hex(32)}", 0, 1, "0xblock",
                            datetime.now(UTC), asset, None, "0xpayer", address, units,
                            invoice["id"])


async def _invoice(client: ApiClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/v1/invoices", invoice_body(assets=["BNB"], **overrides))
    assert response.status == 200, response.body
    body: dict[str, Any] = response.body
    # A new invoice has none, without a query for them on the create path.
    assert body["payments"] == [] and body["amount_refundable"] == 0
    return body


async def _fetch(client: ApiClient, invoice_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/invoices/{invoice_id}")
    assert response.status == 200, response.body
    assert_valid("Invoice", response.body)
    body: dict[str, Any] = response.body
    return body


def _tiyn(units: int, rate: str) -> int:
    """Hand rule: floor(units * rate * 100 / 10^18)."""
    return int(units * Decimal(rate) * 100 // WEI)


async def _event_types(pool: asyncpg.Pool, invoice_id: str) -> list[str]:
    rows = await pool.fetch("SELECT type FROM events WHERE invoice_id = $1 ORDER BY created_at",
                            invoice_id)
    return [r["type"] for r in rows]


async def test_overpaid_then_paid_after_settlement(
        merchant_client: tuple[str, ApiClient], db_pool: asyncpg.Pool) -> None:
    _, client = merchant_client
    invoice = await _invoice(client)  # 1,500.00 KZT
    option = invoice["payment_options"][0]
    units, rate = int(option["amount_units"]), option["rate"]
    sink = TransferSink(db_pool, apply_invoices)
    over = _pay(invoice, units + units // 10)   # 10% over
    await sink.emit(Facts("bsc", seen=[over], final=[over.tx_hash]))
    settled = await _fetch(client, invoice["id"])
    assert settled["status"] == "settled" and settled["exception"] == "paid_over"
    over_value = _tiyn(units + units // 10, rate)
    assert over_value >= 165_000 - 1  # about 1,650.00 KZT at the locked rate
    [paid] = settled["payments"]
    assert paid["amount_units"] == str(units + units // 10) and paid["value"] == over_value
    assert paid["status"] == "final" and paid["counted"] is True and paid["final_at"]
    assert settled["amount_refundable"] == over_value - 150_000  # the overpaid excess

    after = _pay(invoice, units // 2)
    await sink.emit(Facts("bsc", seen=[after]))
    pending = await _fetch(client, invoice["id"])
    late = next(p for p in pending["payments"] if p["tx"] == after.tx_hash)
    assert (late["status"], late["counted"], late["value"]) == \
        ("pending", False, _tiyn(units // 2, rate))
    assert pending["amount_refundable"] == over_value - 150_000  # not final yet
    await sink.emit(Facts("bsc", final=[after.tx_hash]))
    final = await _fetch(client, invoice["id"])
    assert final["status"] == "settled"
    assert final["amount_refundable"] == over_value - 150_000 + _tiyn(units // 2, rate)
    assert (await _event_types(db_pool, invoice["id"]))[-1] == \
        "invoice.payment_after_settlement"


async def test_partial_then_expired_is_all_refundable(
        merchant_client: tuple[str, ApiClient], db_pool: asyncpg.Pool) -> None:
    _, client = merchant_client
    invoice = await _invoice(client, amount=100_000)  # 1,000.00 KZT
    option = invoice["payment_options"][0]
    units, rate = int(option["amount_units"]), option["rate"]
    sink = TransferSink(db_pool, apply_invoices)
    part = _pay(invoice, units * 4 // 10)
    await sink.emit(Facts("bsc", seen=[part], final=[part.tx_hash]))
    partial = await _fetch(client, invoice["id"])
    assert (partial["status"], partial["exception"]) == ("new", "paid_partial")
    assert partial["payments"][0]["counted"] is True
    assert partial["amount_refundable"] == 0  # the sale may still complete
    await db_pool.execute("UPDATE invoices SET created_at = now() - interval '1 hour', "
                          "expires_at = now() - interval '1 second' "
                          "WHERE id = $1", invoice["id"])
    async with db_pool.acquire() as conn, conn.transaction():
        await apply_invoices(conn, [invoice["id"]])
    expired = await _fetch(client, invoice["id"])
    assert expired["status"] == "expired"
    [paid] = expired["payments"]
    assert paid["counted"] is False and paid["value"] == _tiyn(units * 4 // 10, rate)
    assert 39_999 <= paid["value"] <= 40_001  # 40% of 1,000.00 KZT
    assert expired["amount_refundable"] == paid["value"]


async def test_a_wrong_asset_is_listed_uncounted(
        merchant_client: tuple[str, ApiClient], db_pool: asyncpg.Pool) -> None:
    _, client = merchant_client
    invoice = await _invoice(client)
    sink = TransferSink(db_pool, apply_invoices)
    wrong = _pay(invoice, 5 * WEI, asset="USDC_BSC")
    await sink.emit(Facts("bsc", seen=[wrong], final=[wrong.tx_hash]))
    body = await _fetch(client, invoice["id"])
    assert body["status"] == "new" and body["amount_paid"] == 0
    [paid] = body["payments"]
    # No USDC option and no option of its symbol: no locked rate to value it at.
    assert (paid["asset_id"], paid["counted"], paid["value"]) == ("USDC_BSC", False, None)
    assert body["amount_refundable"] == 0


async def test_list_carries_payments(merchant_client: tuple[str, ApiClient],
                                     db_pool: asyncpg.Pool) -> None:
    _, client = merchant_client
    invoice = await _invoice(client)
    sink = TransferSink(db_pool, apply_invoices)
    part = _pay(invoice, 1_000)
    await sink.emit(Facts("bsc", seen=[part]))
    listed = (await client.get("/v1/invoices")).body["data"]
    mine = next(i for i in listed if i["id"] == invoice["id"])
    assert [p["tx"] for p in mine["payments"]] == [part.tx_hash]
    assert mine["payments"][0]["status"] == "pending"


async def test_a_payment_remined_after_a_reorg_keeps_its_first_time(
        merchant_client: tuple[str, ApiClient], db_pool: asyncpg.Pool) -> None:
    _, client = merchant_client
    invoice = await _invoice(client)
    units = int(invoice["payment_options"][0]["amount_units"])
    sink = TransferSink(db_pool, apply_invoices)
    # Mined a minute before the (moved) expiry below.
    first = replace(_pay(invoice, units), block_time=datetime.now(UTC) - timedelta(minutes=1))
    await sink.emit(Facts("bsc", seen=[first]))
    assert (await _fetch(client, invoice["id"]))["status"] == "processing"
    await sink.emit(Facts("bsc", removed=[first.tx_hash]))  # reorged out
    assert (await _fetch(client, invoice["id"]))["status"] == "new"
    await db_pool.execute("UPDATE invoices SET created_at = now() - interval '1 hour', "
                          "expires_at = now() - interval '1 second' WHERE id = $1",
                          invoice["id"])
    async with db_pool.acquire() as conn, conn.transaction():
        await apply_invoices(conn, [invoice["id"]])
    assert (await _fetch(client, invoice["id"]))["status"] == "expired"
    # The same transaction mined again, in a block after the expiry.
    again = replace(first, block_number=2, block_hash="0xblock2",
                    block_time=datetime.now(UTC) + timedelta(minutes=5))
    await sink.emit(Facts("bsc", seen=[again], final=[again.tx_hash]))
    body = await _fetch(client, invoice["id"])
    # On time, as first seen: settled, not paid_late, nothing stranded.
    assert (body["status"], body["exception"]) == ("settled", None)
    assert body["amount_refundable"] == 0 and body["payments"][0]["counted"] is True


async def test_a_token_payment_remined_at_another_log_index_keeps_its_first_time(
        merchant_client: tuple[str, ApiClient], db_pool: asyncpg.Pool) -> None:
    """A BEP-20 transfer's index is its log's place in the block: mined again after a reorg
    in another block, the same transfer usually has another index (found by the chaos run).
    It is still the payment first seen before expiry: on time, not late."""
    _, client = merchant_client
    response = await client.post("/v1/invoices", invoice_body(assets=["USDT_BSC"]))
    assert response.status == 200, response.body
    invoice: dict[str, Any] = response.body
    units = int(invoice["payment_options"][0]["amount_units"])
    sink = TransferSink(db_pool, apply_invoices)
    first = replace(_pay(invoice, units, "USDT_BSC"), log_index=0,
                    block_time=datetime.now(UTC) - timedelta(minutes=1))
    await sink.emit(Facts("bsc", seen=[first]))
    await sink.emit(Facts("bsc", removed=[first.tx_hash]))  # reorged out
    await db_pool.execute("UPDATE invoices SET created_at = now() - interval '1 hour', "
                          "expires_at = now() - interval '1 second' WHERE id = $1",
                          invoice["id"])
    async with db_pool.acquire() as conn, conn.transaction():
        await apply_invoices(conn, [invoice["id"]])
    assert (await _fetch(client, invoice["id"]))["status"] == "expired"
    again = replace(first, log_index=3, block_number=2, block_hash="0xblock2",
                    block_time=datetime.now(UTC) + timedelta(minutes=5))
    await sink.emit(Facts("bsc", seen=[again], final=[again.tx_hash]))
    body = await _fetch(client, invoice["id"])
    assert (body["status"], body["exception"]) == ("settled", None)
    assert body["amount_refundable"] == 0
    assert [(p["index"], p["status"], p["counted"]) for p in body["payments"]] == [
        (0, "reverted", False), (3, "final", True)]

async def _expire_processing(pool: asyncpg.Pool, invoice_id: str, ago: timedelta) -> None:
    """Move a processing invoice's expiry `ago` into the past (its payment was on time)."""
    await pool.execute("UPDATE invoices SET created_at = now() - interval '2 days', "
                       "expires_at = now() - $2::interval WHERE id = $1", invoice_id, ago)


async def test_a_payment_reorged_out_after_expiry_and_mined_again_is_on_time(
        merchant_client: tuple[str, ApiClient], db_pool: asyncpg.Pool) -> None:
    _, client = merchant_client
    invoice = await _invoice(client)
    units = int(invoice["payment_options"][0]["amount_units"])
    sink = TransferSink(db_pool, apply_invoices)
    first = replace(_pay(invoice, units), block_time=datetime.now(UTC) - timedelta(minutes=2))
    await sink.emit(Facts("bsc", seen=[first]))
    assert (await _fetch(client, invoice["id"]))["status"] == "processing"
    # It expires while processing (mined a minute before expiry), then a reorg drops it.
    await _expire_processing(db_pool, invoice["id"], timedelta(minutes=1))
    await sink.emit(Facts("bsc", removed=[first.tx_hash]))
    waiting = await _fetch(client, invoice["id"])
    # Waiting for it to be mined again: still processing, nothing counts, no event.
    assert (waiting["status"], waiting["amount_paid"]) == ("processing", 0)
    assert (await _event_types(db_pool, invoice["id"]))[-1] == "invoice.processing"
    again = replace(first, block_number=2, block_hash="0xblock2",
                    block_time=datetime.now(UTC))
    await sink.emit(Facts("bsc", seen=[again], final=[again.tx_hash]))
    body = await _fetch(client, invoice["id"])
    assert (body["status"], body["exception"]) == ("settled", None)
    assert body["amount_refundable"] == 0 and body["payments"][0]["counted"] is True
    assert (await _event_types(db_pool, invoice["id"]))[-1] == "invoice.settled"


async def test_a_payment_reorged_out_after_expiry_and_never_mined_again_is_invalid(
        merchant_client: tuple[str, ApiClient], db_pool: asyncpg.Pool) -> None:
    """DESIGN's `processing -> invalid` for a reverted payment, delayed to the end of the
    monitoring window (the scheduler's sweep); money arriving after that is stranded."""
    _, client = merchant_client
    invoice = await _invoice(client)
    option = invoice["payment_options"][0]
    units, rate = int(option["amount_units"]), option["rate"]
    sink = TransferSink(db_pool, apply_invoices)
    first = replace(_pay(invoice, units), block_time=datetime.now(UTC) - timedelta(minutes=2))
    await sink.emit(Facts("bsc", seen=[first]))
    await _expire_processing(db_pool, invoice["id"], timedelta(minutes=1))
    await sink.emit(Facts("bsc", removed=[first.tx_hash]))
    assert (await _fetch(client, invoice["id"]))["status"] == "processing"
    # The monitoring window (24 h by default) ends with nothing mined again.
    await _expire_processing(db_pool, invoice["id"], timedelta(hours=25))
    async with db_pool.acquire() as conn, conn.transaction():
        await apply_invoices(conn, [invoice["id"]])
    invalid = await _fetch(client, invoice["id"])
    assert (invalid["status"], invalid["amount_paid"]) == ("invalid", 0)
    assert [p["status"] for p in invalid["payments"]] == ["reverted"]
    assert (await _event_types(db_pool, invoice["id"]))[-1] == "invoice.invalid"
    # Mined again only now: listed, not counted, refundable; the invoice stays invalid.
    again = replace(first, block_number=2, block_hash="0xblock2",
                    block_time=datetime.now(UTC))
    await sink.emit(Facts("bsc", seen=[again], final=[again.tx_hash]))
    stranded = await _fetch(client, invoice["id"])
    assert stranded["status"] == "invalid"
    assert [(p["status"], p["counted"]) for p in stranded["payments"]] == [("final", False)]
    assert stranded["amount_refundable"] == _tiyn(units, rate)


async def test_two_watchers_paying_one_invoice_at_once_do_not_deadlock(
        merchant_client: tuple[str, ApiClient], db_pool: asyncpg.Pool) -> None:
    """Two chains' sinks each store a payment of the same invoice (the foreign key takes a
    key-share lock on it), then both lock it to apply the lifecycle: the locks must queue,
    not deadlock (found by the chaos run: a split-asset invoice paid on both chains)."""
    _, client = merchant_client
    invoice = await _invoice(client)
    units = int(invoice["payment_options"][0]["amount_units"])
    both_stored = asyncio.Barrier(2)

    async def apply_after_both_stored(conn: Conn, invoice_ids: set[str]) -> object:
        await both_stored.wait()
        return await apply_invoices(conn, invoice_ids)

    sink = TransferSink(db_pool, apply_after_both_stored)
    halves = [_pay(invoice, units // 2), _pay(invoice, units - units // 2)]
    await asyncio.wait_for(asyncio.gather(*(sink.emit(Facts("bsc", seen=[half]))
                                            for half in halves)), timeout=20)
    paid = await _fetch(client, invoice["id"])
    assert paid["status"] == "processing"
    assert sorted(p["tx"] for p in paid["payments"]) == sorted(h.tx_hash for h in halves)
