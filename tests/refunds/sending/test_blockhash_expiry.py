"""A Solana refund whose signed transaction never reached the cluster before its blockhash
expired is re-signed, once the finalized block height is past its last valid block height
and the cluster does not know its signature, and then succeeds: one transfer on chain."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
from solders.keypair import Keypair

from gateway.config import Settings
from gateway.refunds.sending import outcomes
from gateway.refunds.sending.sender import Sender
from gateway.refunds.sending.wiring import networks, signers
from tests.plugins.devnet import Devnets
from tests.plugins.eventually import eventually
from tests.refunds.sending.conftest import running_sender
from tests.refunds.sending.support import (
    insert_refund,
    lamports,
    refund_row,
    rpc,
    signatures_of,
)


async def test_an_expired_blockhash_is_re_signed_only_after_it_can_never_land(
        db_pool: asyncpg.Pool, devnets: Devnets, hot_settings: Settings,
        merchant: Callable[[], Awaitable[str]]) -> None:
    assert devnets.solana_rpc_url is not None
    recipient, units = str(Keypair().pubkey()), 4_444_444
    async with db_pool.acquire() as conn:
        refund_id = await insert_refund(conn, await merchant(), asset="SOL",
                                        address=recipient, stranded_units=units)
        (refund,) = [r for r in await outcomes.refunds_to_send(conn, limit=1000)
                     if r.id == refund_id]
    chains = networks(hot_settings)
    try:
        # Signed and committed, never broadcast: what a crash right after the commit leaves.
        first = await Sender(db_pool, chains, signers(hot_settings), interval=0.1).prepare(
            refund, chains["solana"])
        assert first is not None and first.last_valid_block_height is not None
        assert not await chains["solana"].expired(first)  # still valid: no re-sign yet

        async def past_last_valid() -> bool:
            height = await rpc(devnets.solana_rpc_url or "", "getBlockHeight",
                               [{"commitment": "finalized"}])
            return bool(height > (first.last_valid_block_height or 0))

        await eventually(past_last_valid, what="the blockhash expired", timeout=60,
                         interval=0.2)
        assert await chains["solana"].expired(first)
    finally:
        for network in chains.values():
            await network.close()

    async with running_sender(db_pool, hot_settings):
        async def succeeded() -> asyncpg.Record | None:
            async with db_pool.acquire() as conn:
                row = await refund_row(conn, refund_id)
            return row if row["status"] == "succeeded" else None

        row = await eventually(succeeded, what="the re-signed refund succeeded", timeout=60)
    async with db_pool.acquire() as conn:
        txs = await conn.fetch("SELECT tx_hash, status, recent_blockhash FROM"
                               " refund_transactions WHERE refund_id = $1 ORDER BY id",
                               refund_id)
        signed_entries = await conn.fetchval(
            "SELECT count(*) FROM journal_entries WHERE idempotency_key = $1",
            f"refund:{refund_id}:signed")
    assert [(t["tx_hash"], t["status"]) for t in txs] == [
        (first.tx_hash, "replaced"), (row["tx_hash"], "final")]
    assert txs[0]["recent_blockhash"] != txs[1]["recent_blockhash"]
    assert signed_entries == 1  # re-signing books nothing twice
    assert await signatures_of(devnets, recipient) == [row["tx_hash"]]
    assert await lamports(devnets, recipient) == units
    statuses = await rpc(devnets.solana_rpc_url, "getSignatureStatuses",
                         [[first.tx_hash], {"searchTransactionHistory": True}])
    assert statuses["value"] == [None]
