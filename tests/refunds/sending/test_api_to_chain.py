"""The whole way out: an overpaid invoice's excess refunded through the merchant API,
approved, sent by the hot wallet on the BNB Chain devnet; the fresh address holds exactly
`amount_units` and the API shows the refund succeeded with its transaction."""

from __future__ import annotations

import asyncpg

from gateway.config import Settings
from gateway.refunds.service import approve_refund
from gateway.transfers.sink import TransferSink
from tests.plugins.app import ApiClient
from tests.plugins.devnet import Devnets
from tests.plugins.eventually import eventually
from tests.refunds.helpers import bsc_address, overpaid_invoice
from tests.refunds.sending.conftest import running_sender
from tests.refunds.sending.support import bnb_balance


async def test_an_overpaid_excess_reaches_a_fresh_address_exactly(
        merchant_client: tuple[str, ApiClient], sink: TransferSink, db_pool: asyncpg.Pool,
        devnets: Devnets, hot_settings: Settings) -> None:
    client = merchant_client[1]
    invoice = await overpaid_invoice(client, sink)
    address = bsc_address()
    created = await client.post(f"/v1/invoices/{invoice['id']}/refunds", {"address": address})
    assert created.status == 200, created.body
    refund = created.body
    assert (refund["status"], refund["amount_units"]) == ("pending_approval",
                                                          "500000000000000")
    async with db_pool.acquire() as conn, conn.transaction():
        await approve_refund(conn, refund_id=refund["id"], admin="adm_refund_test")

    async with running_sender(db_pool, hot_settings, also={refund["id"]}):
        async def succeeded() -> dict[str, object] | None:
            answer = await client.get(f"/v1/refunds/{refund['id']}")
            assert answer.body["status"] != "failed", answer.body
            return answer.body if answer.body["status"] == "succeeded" else None

        done = await eventually(succeeded, what="the API shows the refund succeeded",
                                timeout=60)
    assert await bnb_balance(devnets, address) == 500_000_000_000_000
    assert isinstance(done["tx"], str) and done["tx"].startswith("0x")
