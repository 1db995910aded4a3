"""A Solana refund whose signed transaction never reached the cluster before its blockhash
expired is re-signed, once the finalized block height is past its last valid block height
and the cluster does not know its signature, and then succeeds: one transfer on chain.
Offline, bytes signed too late are refused (`blockhash_expired`) and the refund rebuilt."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from solders.keypair import Keypair
from solders.message import Message
from solders.transaction import Transaction

from gateway.admin import auth
from gateway.config import Settings, WebhookSettings
from gateway.refunds.sending import offline, outcomes
from gateway.refunds.sending.errors import BlockhashExpired, NotAwaitingSignature
from gateway.refunds.sending.network import Network
from gateway.refunds.sending.sender import Sender
from gateway.refunds.sending.solana import sign_message
from gateway.refunds.sending.wiring import networks, signers
from tests.admin.test_api_access import bearer, make_user, token_of
from tests.plugins.app import running_app, settings_for_tests
from tests.plugins.devnet import Devnets
from tests.plugins.eventually import eventually
from tests.refunds.sending.conftest import running_sender
from tests.refunds.sending.support import (
    Wallets,
    insert_refund,
    lamports,
    refund_row,
    rpc,
    sender_env,
    sender_settings,
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


def _signed(unsigned_b64: str, keypair: Keypair) -> str:
    return base64.b64encode(sign_message(base64.b64decode(unsigned_b64), keypair)).decode()


async def _to_sign(pool: asyncpg.Pool, refund_id: str, networks: Mapping[str, Network],
                   not_blockhash: str | None = None) -> offline.UnsignedRefund:
    async def check() -> offline.UnsignedRefund | None:
        async with pool.acquire() as conn:
            try:
                found = await offline.unsigned_transaction(conn, refund_id, networks=networks)
            except (NotAwaitingSignature, BlockhashExpired):
                return None
        blockhash = str(Message.from_bytes(found.unsigned).recent_blockhash)
        return None if blockhash == not_blockhash else found

    return await eventually(check, what=f"{refund_id} built", timeout=90)


@contextlib.asynccontextmanager
async def _admin_api(pool: asyncpg.Pool, devnets: Devnets, database_url: str,
                     data_dir: Path) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """An app reading the session's devnets (the shared one has no chains) and an
    administrator's token: (the admin API's refunds URL, its headers)."""
    settings = settings_for_tests(database_url, data_dir, bsc_rpc_url=devnets.bsc_rpc_url,
                                  solana_rpc_url=devnets.solana_rpc_url or "",
                                  webhooks=WebhookSettings(worker=False))
    name = await make_user(pool, auth.Role.ADMIN)
    headers = bearer((await token_of(pool, name)).secret)
    async with running_app(settings) as app:
        yield f"{app.url}/admin/api/refunds", headers


async def test_offline_bytes_signed_too_late_are_refused_and_the_refund_is_rebuilt(
        db_pool: asyncpg.Pool, devnets: Devnets, database_url: str, refund_wallets: Wallets,
        merchant: Callable[[], Awaitable[str]], tmp_path: Path) -> None:
    """The operator signs a message whose blockhash then expires: the offline module (what
    the console calls), the admin JSON API and the CLI answer `blockhash_expired` and store
    nothing; the sender builds a new message (only once the old one can never land), which
    signed goes out. One transfer on chain, the late signature unknown to the cluster."""
    solana_url = devnets.solana_rpc_url or ""
    settings = sender_settings(devnets, database_url, refund_wallets, signer="offline")
    env = sender_env(devnets, database_url, refund_wallets)
    recipient, units = str(Keypair().pubkey()), 5_555_555
    async with db_pool.acquire() as conn:
        refund_id = await insert_refund(conn, await merchant(), asset="SOL",
                                        address=recipient, stranded_units=units)
    async with running_sender(db_pool, settings) as sender:
        first = await _to_sign(db_pool, refund_id, sender.networks)
        first_hash = str(Message.from_bytes(first.unsigned).recent_blockhash)
        late = _signed(first.text, refund_wallets.solana)

        async def expired() -> bool:
            height = await rpc(solana_url, "getBlockHeight", [{"commitment": "confirmed"}])
            return bool(height > (first.last_valid_block_height or 0))

        await eventually(expired, what="the blockhash expired", timeout=90, interval=0.2)
        async with db_pool.acquire() as conn:
            with pytest.raises(BlockhashExpired) as refused:
                await offline.submit_signed(conn, refund_id, late, networks=sender.networks)
        error = refused.value
        assert (error.status, error.body()["error"]["code"], error.param) == (
            422, "blockhash_expired", "signed")
        assert f"valid up to block height {first.last_valid_block_height}" in error.message
        async with _admin_api(db_pool, devnets, database_url, tmp_path) as (base, headers), \
                aiohttp.ClientSession() as http:
            async with http.post(f"{base}/{refund_id}/signed", json={"signed": late},
                                 headers=headers) as answer:
                body = await answer.json()
                assert answer.status == 422, body
            assert (body["error"]["code"], body["error"]["param"]) == (
                "blockhash_expired", "signed")
            async with http.get(f"{base}/{refund_id}/unsigned", headers=headers) as shown:
                # Until the sender rebuilt it: the same answer (afterwards: the new one).
                assert shown.status in (200, 422)
                if shown.status == 422:
                    assert (await shown.json())["error"]["code"] == "blockhash_expired"
        cli = await asyncio.to_thread(subprocess.run, [
            sys.executable, "-m", "gateway", "refunds", "submit", refund_id, late],
            env=env, capture_output=True, text=True, timeout=60, check=False)
        assert cli.returncode == 1 and "error: blockhash_expired:" in cli.stderr, cli
        async with db_pool.acquire() as conn:
            assert (await refund_row(conn, refund_id))["tx_hash"] is None  # nothing stored
            assert await conn.fetchval(
                "SELECT count(*) FROM refund_transactions WHERE refund_id = $1"
                " AND signed_tx IS NOT NULL", refund_id) == 0

        second = await _to_sign(db_pool, refund_id, sender.networks, not_blockhash=first_hash)
        async with db_pool.acquire() as conn:  # the late bytes, after the rebuild: the same
            with pytest.raises(BlockhashExpired):
                await offline.submit_signed(conn, refund_id, late, networks=sender.networks)
        async with db_pool.acquire() as conn:
            refund = await offline.submit_signed(
                conn, refund_id, _signed(second.text, refund_wallets.solana),
                networks=sender.networks)

        async def succeeded() -> asyncpg.Record | None:
            async with db_pool.acquire() as conn:
                row = await refund_row(conn, refund_id)
            return row if row["status"] == "succeeded" else None

        row = await eventually(succeeded, what="the rebuilt refund succeeded", timeout=60)
    assert row["tx_hash"] == refund.tx
    async with db_pool.acquire() as conn:
        txs = await conn.fetch("SELECT tx_hash, status FROM refund_transactions"
                               " WHERE refund_id = $1 ORDER BY id", refund_id)
    # Replaced unsigned (one, or more when a rebuilt message expired too on the fast devnet),
    # then the one signed and final.
    *replaced, last = [(t["tx_hash"], t["status"]) for t in txs]
    assert replaced and set(replaced) == {(None, "replaced")}
    assert last == (refund.tx, "final")
    assert await signatures_of(devnets, recipient) == [refund.tx]
    assert await lamports(devnets, recipient) == units
    late_signature = str(Transaction.from_bytes(base64.b64decode(late)).signatures[0])
    statuses = await rpc(solana_url, "getSignatureStatuses",
                         [[late_signature], {"searchTransactionHistory": True}])
    assert statuses["value"] == [None]
