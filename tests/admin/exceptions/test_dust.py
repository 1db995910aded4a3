"""Dust: 10,000 transfers below the floor to one invoice's address, stored through the real
fact sink and lifecycle, change nothing about the invoice and are one line of the queue."""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial

import asyncpg
import pytest

from gateway.admin.exceptions import service
from gateway.chains.facts import Facts
from gateway.chains.models import DetectedTransfer
from gateway.lifecycle.service import apply_invoices
from gateway.transfers.sink import TransferSink
from tests.api.helpers import invoice_body
from tests.plugins.app import ApiClient

FLOORS = (("BNB", 10**12),)
DUST = 10_000


@pytest.mark.slow  # 10,000 rows through the sink
async def test_ten_thousand_dust_transfers(
        api_client: Callable[..., ApiClient], make_merchant: Callable[..., Awaitable[str]],
        make_api_key: Callable[..., Awaitable[str]], db_pool: asyncpg.Pool) -> None:
    client = api_client(await make_api_key(await make_merchant()))
    invoice = (await client.post("/v1/invoices", invoice_body(assets=["BNB"]))).body
    address = invoice["payment_options"][0]["address"]
    now = datetime.now(UTC)
    dust = [DetectedTransfer("bsc", f"0x{secrets.token_hex(32)}", 0, 1, "0xb", now, "BNB",
                             None, "0xattacker", address, 1 + n % 1_000, invoice["id"])
            for n in range(DUST)]
    sink = TransferSink(db_pool, partial(apply_invoices, floors=dict(FLOORS)))
    for start in range(0, DUST, 2_500):
        chunk = dust[start:start + 2_500]
        await sink.emit(Facts("bsc", seen=chunk, final=[t.tx_hash for t in chunk]))
    row = await db_pool.fetchrow("SELECT status, exception, amount_paid FROM invoices "
                                 "WHERE id = $1", invoice["id"])
    assert (row["status"], row["exception"], row["amount_paid"]) == ("new", None, 0)
    # Still cancellable: dust is no payment.
    assert (await client.post(f"/v1/invoices/{invoice['id']}/cancel", {})).status == 200

    started = time.monotonic()
    async with db_pool.acquire() as conn:
        found = await service.page(conn, FLOORS, service.Filters(kind="dust"), None, 100)
        mine = await service.page(conn, FLOORS, service.Filters(chain="bsc", kind="dust"),
                                  None, 500)
    assert time.monotonic() - started < 10  # float-ok: the queue stays usable
    assert len(found.items) <= 100
    [line] = [i for i in mine.items if i.address == address]
    # sum of 1..1000, ten times over
    assert (line.transfers, line.units) == (DUST, 10 * (1_000 * 1_001 // 2))
    assert line.key == f"dust:bsc:BNB:{address}"
    await db_pool.execute("DELETE FROM chain_transfers WHERE to_address = $1", address)
