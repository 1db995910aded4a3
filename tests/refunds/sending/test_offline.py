"""Offline signing round trips on the devnets: the gateway builds, the operator signs outside
(here: eth_account and solders in the test), submits; only exactly the built transaction
signed by the refund wallet's key is accepted, and the refund then succeeds."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg
import pytest
from eth_account import Account
from solders.keypair import Keypair
from solders.message import Message
from solders.system_program import TransferParams, transfer
from solders.transaction import Transaction

from gateway.refunds.sending import offline
from gateway.refunds.sending.errors import NotAwaitingSignature, SignatureRefused
from gateway.refunds.sending.network import Network
from tests.plugins.devnet import Devnets, fresh_bsc_address
from tests.plugins.eventually import eventually
from tests.refunds.sending.conftest import running_sender
from tests.refunds.sending.support import (
    Wallets,
    bnb_balance,
    insert_refund,
    lamports,
    refund_row,
    sender_env,
    sender_settings,
)


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway", "refunds", *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


async def _built(pool: asyncpg.Pool, refund_id: str,
                 networks: Mapping[str, Network]) -> offline.UnsignedRefund:
    async def check() -> offline.UnsignedRefund | None:
        async with pool.acquire() as conn:
            try:
                return await offline.unsigned_transaction(conn, refund_id, networks=networks)
            except NotAwaitingSignature:
                return None

    return await eventually(check, what=f"{refund_id} built", timeout=30)


async def _status(pool: asyncpg.Pool, refund_id: str, status: str) -> asyncpg.Record:
    async def check() -> asyncpg.Record | None:
        async with pool.acquire() as conn:
            row = await refund_row(conn, refund_id)
        return row if row["status"] == status else None

    return await eventually(check, what=f"{refund_id} {status}", timeout=60)


def _sign_fields(fields: dict[str, Any], key: str) -> str:
    tx = {**fields, "data": bytes.fromhex(fields["data"].removeprefix("0x"))}
    return "0x" + bytes(Account.sign_transaction(tx, key).raw_transaction).hex()


async def test_bnb_chain_offline_round_trip_through_the_cli(
        db_pool: asyncpg.Pool, devnets: Devnets, database_url: str, refund_wallets: Wallets,
        merchant: Callable[[], Awaitable[str]]) -> None:
    settings = sender_settings(devnets, database_url, refund_wallets, signer="offline")
    env = sender_env(devnets, database_url, refund_wallets)
    address, units = fresh_bsc_address(), 31_000_000_000_000_007
    async with db_pool.acquire() as conn:
        refund_id = await insert_refund(conn, await merchant(), asset="BNB", address=address,
                                        stranded_units=units)
    async with running_sender(db_pool, settings) as sender:
        await _built(db_pool, refund_id, sender.networks)
        shown = await asyncio.to_thread(_cli, env, "unsigned", refund_id)
        assert shown.returncode == 0, shown.stderr
        printed = json.loads(shown.stdout)
        assert printed["signer"] == refund_wallets.bsc.address and printed["chain"] == "bsc"
        fields = printed["fields"]
        assert fields["to"] == address and fields["value"] == units

        wrong_key = _sign_fields(fields, Account.create().key.hex())
        modified = _sign_fields({**fields, "value": units + 1}, refund_wallets.bsc_key)
        for bad in (wrong_key, modified, "0xzz"):
            refused = await asyncio.to_thread(_cli, env, "submit", refund_id, bad)
            assert refused.returncode == 1 and "error" in refused.stderr, refused
        async with db_pool.acquire() as conn:
            assert (await refund_row(conn, refund_id))["tx_hash"] is None  # nothing accepted

        accepted = await asyncio.to_thread(
            _cli, env, "submit", refund_id, _sign_fields(fields, refund_wallets.bsc_key))
        assert accepted.returncode == 0, accepted.stderr
        row = await _status(db_pool, refund_id, "succeeded")
    assert await bnb_balance(devnets, address) == units
    assert row["tx_hash"] in accepted.stdout


async def test_solana_offline_round_trip(
        db_pool: asyncpg.Pool, devnets: Devnets, database_url: str, refund_wallets: Wallets,
        merchant: Callable[[], Awaitable[str]]) -> None:
    settings = sender_settings(devnets, database_url, refund_wallets, signer="offline")
    recipient, units = Keypair().pubkey(), 7_654_321
    async with db_pool.acquire() as conn:
        refund_id = await insert_refund(conn, await merchant(), asset="SOL",
                                        address=str(recipient), stranded_units=units)
    async with running_sender(db_pool, settings) as sender:
        built = await _built(db_pool, refund_id, sender.networks)
        assert built.signer == str(refund_wallets.solana.pubkey())
        unsigned = base64.b64decode(built.text)
        message = Message.from_bytes(unsigned)

        def signed(msg: Message, keypair: Keypair) -> str:
            sig = keypair.sign_message(bytes(msg))
            return base64.b64encode(bytes(Transaction.populate(msg, [sig]))).decode()

        other = Message.new_with_blockhash(
            [transfer(TransferParams(from_pubkey=refund_wallets.solana.pubkey(),
                                     to_pubkey=recipient, lamports=units + 1))],
            refund_wallets.solana.pubkey(), message.recent_blockhash)
        async with db_pool.acquire() as conn:
            for bad in (signed(message, Keypair()), signed(other, refund_wallets.solana),
                        "not base64!"):
                with pytest.raises(SignatureRefused):
                    await offline.submit_signed(conn, refund_id, bad,
                                                networks=sender.networks)
            refund = await offline.submit_signed(conn, refund_id,
                                                 signed(message, refund_wallets.solana),
                                                 networks=sender.networks)
            with pytest.raises(NotAwaitingSignature):
                await offline.submit_signed(conn, refund_id,
                                            signed(message, refund_wallets.solana),
                                            networks=sender.networks)
        row = await _status(db_pool, refund_id, "succeeded")
    assert row["tx_hash"] == refund.tx
    assert await lamports(devnets, str(recipient)) == units
