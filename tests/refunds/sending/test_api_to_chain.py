"""The whole way out: an overpaid invoice's excess refunded through the merchant API,
approved, sent by the hot wallet on the BNB Chain and the Solana devnet; the fresh address
holds exactly `amount_units` and the API shows the refund succeeded with its transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
from solders.keypair import Keypair
from solders.signature import Signature

from gateway.chains.facts import Facts
from gateway.chains.models import DetectedTransfer
from gateway.config import Settings
from gateway.refunds.service import approve_refund
from gateway.transfers.sink import TransferSink
from tests.api.helpers import invoice_body
from tests.plugins.app import ApiClient
from tests.plugins.devnet import Devnets
from tests.plugins.eventually import eventually
from tests.refunds.helpers import bsc_address, overpaid_invoice
from tests.refunds.sending.conftest import running_sender
from tests.refunds.sending.support import bnb_balance, lamports, signatures_of


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


async def test_an_overpaid_sol_excess_reaches_a_fresh_wallet_exactly(
        merchant_client: tuple[str, ApiClient], sink: TransferSink, db_pool: asyncpg.Pool,
        devnets: Devnets, hot_settings: Settings) -> None:
    """The same on Solana: 10 % more SOL than asked; the excess, in lamports, goes back."""
    client = merchant_client[1]
    answer = await client.post("/v1/invoices", invoice_body(assets=["SOL"]))
    assert answer.status == 200, answer.body
    invoice = answer.body
    [option] = invoice["payment_options"]
    asked = int(option["amount_units"])
    paid = DetectedTransfer("solana", str(Signature.new_unique()), 0, 1, "block",
                            datetime.now(UTC), "SOL", None, str(Keypair().pubkey()),
                            option["recipient"], asked + asked // 10, invoice["id"])
    await sink.emit(Facts("solana", seen=[paid], final=[paid.tx_hash]))
    recipient = str(Keypair().pubkey())
    created = await client.post(f"/v1/invoices/{invoice['id']}/refunds",
                                {"address": recipient})
    assert created.status == 200, created.body
    refund = created.body
    assert (refund["chain"], refund["asset_id"], refund["amount_units"]) == (
        "solana", "SOL", str(asked // 10))
    if refund["status"] == "pending_approval":
        async with db_pool.acquire() as conn, conn.transaction():
            await approve_refund(conn, refund_id=refund["id"], admin="adm_refund_test")

    async with running_sender(db_pool, hot_settings, also={refund["id"]}):
        async def succeeded() -> dict[str, object] | None:
            answer = await client.get(f"/v1/refunds/{refund['id']}")
            assert answer.body["status"] != "failed", answer.body
            return answer.body if answer.body["status"] == "succeeded" else None

        done = await eventually(succeeded, what="the API shows the refund succeeded",
                                timeout=60)
    assert await lamports(devnets, recipient) == asked // 10
    assert await signatures_of(devnets, recipient) == [done["tx"]]
