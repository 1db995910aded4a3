"""Hot wallet refunds on the real devnets: the shopper's fresh address receives exactly
`amount_units`, once, and the refund is `succeeded` only at finality, booked and announced."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable

import asyncpg
from eth_account import Account
from solders.keypair import Keypair

from gateway.config import Settings
from gateway.devnet import bsc as devnet_bsc
from settlement import ledger
from tests.plugins.devnet import Devnets, fresh_bsc_address
from tests.plugins.eventually import eventually
from tests.refunds.sending.conftest import running_sender
from tests.refunds.sending.support import (
    Wallets,
    bep20_balance,
    bnb_balance,
    insert_refund,
    lamports,
    refund_row,
    rpc,
    signatures_of,
    spl_units,
)

LATENCIES: dict[str, float] = {}  # float-ok: seconds from `sending` to `succeeded`, reported


async def _succeeded(pool: asyncpg.Pool, refund_id: str, label: str) -> asyncpg.Record:
    started = time.monotonic()

    async def done() -> asyncpg.Record | None:
        async with pool.acquire() as conn:
            row = await refund_row(conn, refund_id)
        assert row["status"] != "failed", row["failure_reason"]
        return row if row["status"] == "succeeded" else None

    row = await eventually(done, what=f"refund {refund_id} succeeded", timeout=60)
    LATENCIES[label] = time.monotonic() - started
    print(f"send->succeeded {label}: {LATENCIES[label]:.2f}s")  # float-ok
    return row


async def _event(pool: asyncpg.Pool, refund_id: str, type: str) -> dict[str, object]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT type, data FROM events WHERE data->>'id' = $1",
                                refund_id)
    assert [r["type"] for r in rows] == [type]
    data = rows[0]["data"]
    return data if isinstance(data, dict) else json.loads(data)


async def test_bnb_refund_in_kind_arrives_exactly_once(
        db_pool: asyncpg.Pool, devnets: Devnets, hot_settings: Settings,
        refund_wallets: Wallets, merchant: Callable[[], Awaitable[str]]) -> None:
    address, units = fresh_bsc_address(), 12_345_678_901_234_567
    async with db_pool.acquire() as conn:
        refund_id = await insert_refund(conn, await merchant(), asset="BNB", address=address,
                                        stranded_units=units)
    nonce_before = int(await rpc(devnets.bsc_rpc_url, "eth_getTransactionCount",
                                 [refund_wallets.bsc.address, "latest"]), 16)
    async with running_sender(db_pool, hot_settings):
        row = await _succeeded(db_pool, refund_id, "bsc BNB")
    assert await bnb_balance(devnets, address) == units
    receipt = await rpc(devnets.bsc_rpc_url, "eth_getTransactionReceipt", [row["tx_hash"]])
    fee = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
    assert int(row["network_fee_units"]) == fee > 0
    assert int(await rpc(devnets.bsc_rpc_url, "eth_getTransactionCount",
                         [refund_wallets.bsc.address, "latest"]), 16) == nonce_before + 1
    finalized = await rpc(devnets.bsc_rpc_url, "eth_getBlockByNumber", ["finalized", False])
    assert int(receipt["blockNumber"], 16) <= int(finalized["number"], 16)
    event = await _event(db_pool, refund_id, "refund.succeeded")
    assert event["status"] == "succeeded" and event["tx"] == row["tx_hash"]
    assert event["amount_units"] == str(units)


async def test_bep20_refund_with_a_sale_part_books_per_currency(
        db_pool: asyncpg.Pool, devnets: Devnets, hot_settings: Settings,
        refund_wallets: Wallets, merchant: Callable[[], Awaitable[str]]) -> None:
    """1.5 USDT stranded (valued 750.00 KZT) + 100.00 KZT of the sale at 500 KZT/USDT
    = 0.2 USDT: 1.7 USDT = 1,700,000,000,000,000,000 wei leave; the hand-checked changes:
    custody:bsc:USDT -0.2e18 (1.5e18 booked in, 1.7e18 out), fx_position:bsc:USDT -0.2e18,
    fx_position:KZT +10,000 tiyn, the merchant's payable -10,000 tiyn, in transit 0, and the
    BNB fee out of custody:bsc:BNB into network_fees:bsc:BNB."""
    address, merchant_id = fresh_bsc_address(), await merchant()
    codes = ["custody:bsc:USDT", "fx_position:bsc:USDT", "fx_position:KZT",
             "refunds_in_transit:bsc:USDT", "custody:bsc:BNB", "network_fees:bsc:BNB"]

    async def balances(conn: asyncpg.Connection) -> dict[str, int]:
        return {code: await _balance(conn, code) for code in codes}

    async with db_pool.acquire() as conn:
        before = await balances(conn)
        refund_id = await insert_refund(
            conn, merchant_id, asset="USDT_BSC", address=address,
            stranded_units=1_500_000_000_000_000_000, stranded_amount=75_000,
            sale_amount=10_000, sale_units=200_000_000_000_000_000, rate="500")
    async with running_sender(db_pool, hot_settings):
        row = await _succeeded(db_pool, refund_id, "bsc USDT")
    assert await bep20_balance(devnets, devnet_bsc.USDT_ADDRESS, address) == \
        1_700_000_000_000_000_000
    fee = int(row["network_fee_units"])
    async with db_pool.acquire() as conn:
        after = await balances(conn)
        payable = (await ledger.balance(conn, f"merchant_payable:{merchant_id}")).amount
    assert {code: after[code] - before[code] for code in codes} == {
        "custody:bsc:USDT": -200_000_000_000_000_000,
        "fx_position:bsc:USDT": -200_000_000_000_000_000,
        "fx_position:KZT": 10_000,
        "refunds_in_transit:bsc:USDT": 0,
        "custody:bsc:BNB": -fee,
        "network_fees:bsc:BNB": fee,
    }
    assert payable == -10_000


async def test_sol_refund_in_kind_arrives_exactly_once(
        db_pool: asyncpg.Pool, devnets: Devnets, hot_settings: Settings,
        merchant: Callable[[], Awaitable[str]]) -> None:
    address, units = str(Keypair().pubkey()), 12_345_678  # above the rent-exempt minimum
    async with db_pool.acquire() as conn:
        before = await _balance(conn, "custody:solana:SOL")
        refund_id = await insert_refund(conn, await merchant(), asset="SOL", address=address,
                                        stranded_units=units)
    async with running_sender(db_pool, hot_settings):
        row = await _succeeded(db_pool, refund_id, "solana SOL")
    assert await lamports(devnets, address) == units
    assert await signatures_of(devnets, address) == [row["tx_hash"]]
    fee = int(row["network_fee_units"])
    assert fee == 5_000  # one signature
    async with db_pool.acquire() as conn:
        custody = (await ledger.balance(conn, "custody:solana:SOL")).amount
        fees = (await ledger.balance(conn, "network_fees:solana:SOL")).amount
    # The stranded lamports came in and went out: custody moved by the fee alone.
    assert custody - before == -5_000
    assert fees >= 5_000


async def _balance(conn: asyncpg.Connection, code: str) -> int:
    try:
        return (await ledger.balance(conn, code)).amount
    except ledger.UnknownAccount:
        return 0


async def test_spl_refund_creates_the_missing_token_account(
        db_pool: asyncpg.Pool, devnets: Devnets, hot_settings: Settings,
        merchant: Callable[[], Awaitable[str]]) -> None:
    owner, units, mint = str(Keypair().pubkey()), 2_500_000, devnets.solana_mints["USDT"]
    assert await spl_units(devnets, owner, mint) == 0  # no token account yet
    async with db_pool.acquire() as conn:
        refund_id = await insert_refund(conn, await merchant(), asset="USDT_SOL",
                                        address=owner, stranded_units=units)
    async with running_sender(db_pool, hot_settings):
        row = await _succeeded(db_pool, refund_id, "solana USDT (new token account)")
    assert await spl_units(devnets, owner, mint) == units
    # The fee is the signature plus the new token account's rent, both the operator's.
    rent = int(await rpc(devnets.solana_rpc_url or "", "getMinimumBalanceForRentExemption",
                         [165]))
    assert int(row["network_fee_units"]) == 5_000 + rent
    # A second refund finds the token account: no create, the signature's fee alone.
    async with db_pool.acquire() as conn:
        again = await insert_refund(conn, await merchant(), asset="USDT_SOL", address=owner,
                                    stranded_units=1)
    async with running_sender(db_pool, hot_settings):
        row = await _succeeded(db_pool, again, "solana USDT (existing token account)")
    assert await spl_units(devnets, owner, mint) == units + 1
    assert int(row["network_fee_units"]) == 5_000


async def test_spl_refund_with_a_sale_part_books_per_currency(
        db_pool: asyncpg.Pool, devnets: Devnets, hot_settings: Settings,
        merchant: Callable[[], Awaitable[str]]) -> None:
    """The Solana twin of the BEP-20 case: 1.5 USDT stranded (750.00 KZT) + 100.00 KZT of the
    sale at 500 KZT/USDT = 0.2 USDT: 1,700,000 base units (6 decimals) leave; the hand-checked
    changes: custody:solana:USDT -200,000 (1,500,000 booked in, 1,700,000 out),
    fx_position:solana:USDT -200,000, fx_position:KZT +10,000 tiyn, the merchant's payable
    -10,000 tiyn, in transit 0, and the SOL fee (signature and the new token account's rent)
    out of custody:solana:SOL into network_fees:solana:SOL."""
    owner, merchant_id = str(Keypair().pubkey()), await merchant()
    codes = ["custody:solana:USDT", "fx_position:solana:USDT", "fx_position:KZT",
             "refunds_in_transit:solana:USDT", "custody:solana:SOL",
             "network_fees:solana:SOL"]

    async def balances(conn: asyncpg.Connection) -> dict[str, int]:
        return {code: await _balance(conn, code) for code in codes}

    async with db_pool.acquire() as conn:
        before = await balances(conn)
        refund_id = await insert_refund(
            conn, merchant_id, asset="USDT_SOL", address=owner, stranded_units=1_500_000,
            stranded_amount=75_000, sale_amount=10_000, sale_units=200_000, rate="500")
    async with running_sender(db_pool, hot_settings):
        row = await _succeeded(db_pool, refund_id, "solana USDT with a sale part")
    assert await spl_units(devnets, owner, devnets.solana_mints["USDT"]) == 1_700_000
    fee = int(row["network_fee_units"])
    rent = int(await rpc(devnets.solana_rpc_url or "", "getMinimumBalanceForRentExemption",
                         [165]))
    assert fee == 5_000 + rent
    async with db_pool.acquire() as conn:
        after = await balances(conn)
        payable = (await ledger.balance(conn, f"merchant_payable:{merchant_id}")).amount
    assert {code: after[code] - before[code] for code in codes} == {
        "custody:solana:USDT": -200_000,
        "fx_position:solana:USDT": -200_000,
        "fx_position:KZT": 10_000,
        "refunds_in_transit:solana:USDT": 0,
        "custody:solana:SOL": -fee,
        "network_fees:solana:SOL": fee,
    }
    assert payable == -10_000


async def test_an_address_without_its_eip55_checksum_fails_before_anything_is_signed(
        db_pool: asyncpg.Pool, hot_settings: Settings,
        merchant: Callable[[], Awaitable[str]]) -> None:
    address = Account.create().address.lower()  # the refund service validates; so does this
    async with db_pool.acquire() as conn:
        refund_id = await insert_refund(conn, await merchant(), asset="BNB", address=address,
                                        stranded_units=10**15)
    async with running_sender(db_pool, hot_settings):
        async def failed() -> bool:
            async with db_pool.acquire() as conn:
                return (await refund_row(conn, refund_id))["status"] == "failed"

        await eventually(failed, what="the refund failed", timeout=30)
    async with db_pool.acquire() as conn:
        row = await refund_row(conn, refund_id)
        txs = await conn.fetchval("SELECT count(*) FROM refund_transactions WHERE refund_id = $1",
                                  refund_id)
        entries = await conn.fetchval(
            "SELECT count(*) FROM journal_entries WHERE reference = $1", refund_id)
    assert "EIP-55" in row["failure_reason"] and row["tx_hash"] is None
    assert txs == 0 and entries == 0
    event = await _event(db_pool, refund_id, "refund.failed")
    assert event["status"] == "failed"
