"""Helpers of the refund sending tests: refund rows by direct INSERT (status `sending`, the
way the refunds service will leave them), funded hot wallets on the session devnets, the
sender's settings and environment, and chain reads (balances, wallet nonces)."""

from __future__ import annotations

import dataclasses
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
from eth_account import Account
from eth_account.signers.local import LocalAccount
from solders.keypair import Keypair

from gateway.config import ChainSettings, RefundSendingSettings, Settings
from gateway.devnet import bsc as devnet_bsc
from gateway.merchants.ids import new_id
from tests.plugins.devnet import Devnets

# The reason of every refund `insert_refund` writes: the tests' senders take only these (and
# the ids they are given), never another test's refund in the shared database.
TEST_REASON = "refund sending test"


@dataclass(frozen=True)
class Wallets:
    """The session's refund hot wallets (fresh keys, funded on the devnets)."""

    bsc: LocalAccount
    solana: Keypair

    @property
    def bsc_key(self) -> str:
        return "0x" + bytes(self.bsc.key).hex()

    @property
    def solana_key(self) -> str:
        return str(self.solana)


def new_wallets() -> Wallets:
    return Wallets(Account.create(), Keypair())


def token_settings(devnets: Devnets) -> dict[str, Any]:
    return {
        "bsc_usdt_contract": devnet_bsc.USDT_ADDRESS, "bsc_usdc_contract": devnet_bsc.USDC_ADDRESS,
        "solana_usdt_mint": devnets.solana_mints["USDT"],
        "solana_usdc_mint": devnets.solana_mints["USDC"],
        "solana_kzte_mint": devnets.solana_mints["KZTE"],
    }


def sender_settings(devnets: Devnets, database_url: str, wallets: Wallets, *,
                    signer: str = "hot") -> Settings:
    assert devnets.solana_rpc_url is not None
    sending = RefundSendingSettings(
        sender=True, signer=signer, bsc_key=wallets.bsc_key, solana_key=wallets.solana_key,
        bsc_address=wallets.bsc.address, solana_address=str(wallets.solana.pubkey()))
    chains = dataclasses.replace(ChainSettings(), leader_poll=ChainSettings().leader_poll / 10)
    return dataclasses.replace(
        Settings(), database_url=database_url, bsc_rpc_url=devnets.bsc_rpc_url,
        solana_rpc_url=devnets.solana_rpc_url, refund_sending=sending, chains=chains,
        log_level="warning", **token_settings(devnets))


def sender_env(devnets: Devnets, database_url: str, wallets: Wallets,
               crash_at: str | None = None) -> dict[str, str]:
    """The environment of `python -m gateway refunds sender` on the session's devnets."""
    assert devnets.solana_rpc_url is not None
    env = {k: v for k, v in os.environ.items() if k != "REFUND_SENDER_CRASH_AT"}
    env.update({
        "GATEWAY_ENV": "dev", "DATABASE_URL": database_url,
        "BSC_RPC_URL": devnets.bsc_rpc_url, "SOLANA_RPC_URL": devnets.solana_rpc_url,
        "REFUND_SIGNER": "hot", "REFUND_BSC_KEY": wallets.bsc_key,
        "REFUND_SOLANA_KEY": wallets.solana_key, "REFUND_SENDER_INTERVAL": "0.1",
        "WATCHER_LEADER_POLL": "0.1", "GATEWAY_LOG_LEVEL": "info",
        **{k.upper(): str(v) for k, v in token_settings(devnets).items()},
    })
    if crash_at is not None:
        env["REFUND_SENDER_CRASH_AT"] = crash_at
    return env


async def insert_invoice(conn: asyncpg.Connection, merchant_id: str) -> str:
    """A raw invoice row (the invoices domain's schema, no API call)."""
    invoice_id = new_id("inv")
    now = datetime.now(UTC)
    await conn.execute(
        "INSERT INTO invoices (id, merchant_id, amount, order_id, metadata, created_at,"
        " expires_at, monitoring_window, solana_reference, solana_recipient, qr_token)"
        " VALUES ($1, $2, 1500000, 'refund-test', '{}'::jsonb, $3, $4, '1 day', $5,"
        " 'Treasury111', $6)",
        invoice_id, merchant_id, now, now + timedelta(minutes=15), new_id("ref"), new_id("qr"))
    return invoice_id


CHAIN_OF = {"BNB": "bsc", "USDT_BSC": "bsc", "USDC_BSC": "bsc", "SOL": "solana",
            "USDT_SOL": "solana", "USDC_SOL": "solana", "KZTE": "solana"}


async def insert_refund(conn: asyncpg.Connection, merchant_id: str, *, asset: str,
                        address: str, stranded_units: int, stranded_amount: int = 1_000,
                        sale_amount: int = 0, sale_units: int = 0, rate: str | None = None,
                        livemode: bool = True) -> str:
    """A refund in status `sending` (as the refunds service leaves an approved one), its
    stranded part backed by a final, unmatched transfer of the invoice (refund_sources)."""
    chain = CHAIN_OF[asset]
    invoice_id = await insert_invoice(conn, merchant_id)
    refund_id = "rfd_" + secrets.token_hex(12)
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO refunds (id, merchant_id, invoice_id, livemode, status, amount,"
            " stranded_amount, sale_amount, chain, asset, stranded_units, sale_units,"
            " amount_units, rate_kind, rate, address, reason)"
            " VALUES ($1, $2, $3, $4, 'sending', $5, $6, $7, $8, $9, $10, $11, $12, 'current',"
            " $13::numeric, $14, $15)",
            refund_id, merchant_id, invoice_id, livemode, stranded_amount + sale_amount,
            stranded_amount, sale_amount, chain, asset, stranded_units, sale_units,
            stranded_units + sale_units, rate, address, TEST_REASON)
        if stranded_units:
            transfer_id = await conn.fetchval(
                "INSERT INTO chain_transfers (chain, tx_hash, log_index, block_number,"
                " block_hash, asset, to_address, amount, invoice_id, status, disposition,"
                " finalized_at) VALUES ($1, $2, 0, 1, 'h', $3, 'deposit', $4, $5, 'finalized',"
                " 'unapplied', now()) RETURNING id",
                chain, secrets.token_hex(32), asset, stranded_units, invoice_id)
            await conn.execute(
                "INSERT INTO refund_sources (refund_id, transfer_id, units) VALUES ($1, $2, $3)",
                refund_id, transfer_id, stranded_units)
    return refund_id


async def refund_row(conn: asyncpg.Connection, refund_id: str) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT * FROM refunds WHERE id = $1", refund_id)
    assert row is not None
    return row


async def rpc(url: str, method: str, params: list[Any]) -> Any:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as resp:
        answer = await resp.json()
    assert "error" not in answer, answer
    return answer["result"]


async def bnb_balance(devnets: Devnets, address: str) -> int:
    return int(await rpc(devnets.bsc_rpc_url, "eth_getBalance", [address, "latest"]), 16)


async def bep20_balance(devnets: Devnets, token: str, address: str) -> int:
    data = "0x70a08231" + address.lower().removeprefix("0x").rjust(64, "0")
    return int(await rpc(devnets.bsc_rpc_url, "eth_call",
                         [{"to": token, "data": data}, "latest"]), 16)


async def bsc_nonce(devnets: Devnets, address: str) -> int:
    return int(await rpc(devnets.bsc_rpc_url, "eth_getTransactionCount",
                         [address, "latest"]), 16)


async def lamports(devnets: Devnets, address: str) -> int:
    assert devnets.solana_rpc_url is not None
    answer = await rpc(devnets.solana_rpc_url, "getBalance",
                       [address, {"commitment": "confirmed"}])
    return int(answer["value"])


async def spl_units(devnets: Devnets, owner: str, mint: str) -> int:
    assert devnets.solana_rpc_url is not None
    answer = await rpc(devnets.solana_rpc_url, "getTokenAccountsByOwner",
                       [owner, {"mint": mint}, {"encoding": "jsonParsed"}])
    return sum(int(a["account"]["data"]["parsed"]["info"]["tokenAmount"]["amount"])
               for a in answer["value"])


async def signatures_of(devnets: Devnets, address: str) -> list[str]:
    assert devnets.solana_rpc_url is not None
    answer = await rpc(devnets.solana_rpc_url, "getSignaturesForAddress",
                       [address, {"commitment": "confirmed"}])
    return [entry["signature"] for entry in answer]
