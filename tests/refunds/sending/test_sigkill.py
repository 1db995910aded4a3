"""SIGKILL of the sending process at every step of a refund leaves exactly one transaction
on chain, and the refund succeeded after a restart.

The sender runs as its own process (`python -m gateway refunds sender`), started with
REFUND_SENDER_CRASH_AT naming a crash point (gateway.refunds.sending.crash) where it kills
itself with SIGKILL; it is then restarted without, and must finish the refund from what was
committed: the same signed bytes, never a second transaction.

The sender process takes every refund waiting in its database, as in production, so it runs
on a database of this module's own: in the session's shared one it also sent the refunds
other tests left `sending`, from the same hot wallet, and the BNB wallet's nonce then moved
by more than our one transaction (the first BNB case, `after_nonce`, met them all).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
from solders.keypair import Keypair

from tests.plugins.db import database_pool, fresh_database
from tests.plugins.devnet import Devnets, fresh_bsc_address
from tests.plugins.eventually import eventually
from tests.refunds.sending.support import (
    Wallets,
    bnb_balance,
    bsc_nonce,
    insert_refund,
    lamports,
    refund_row,
    rpc,
    sender_env,
    signatures_of,
)

BSC_POINTS = ("after_nonce", "after_commit", "after_broadcast", "before_final")
SOLANA_POINTS = ("after_commit", "after_broadcast", "before_final")  # no nonces on Solana
# What is committed when the process dies at each point: (transaction row, refund status).
COMMITTED = {
    "after_nonce": (None, "sending"),  # the nonce allocation rolled back with the rest
    "after_commit": ("signed", "sending"),
    "after_broadcast": ("signed", "sending"),
    "before_final": ("broadcast", "sent"),
}


@pytest.fixture(scope="module")
async def database_url(pg_server_url: str) -> str:
    """This module's own database (overrides the session's): see the module docstring."""
    return await fresh_database(pg_server_url, "ccp_sigkill")


@pytest.fixture(scope="module")
async def db_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with database_pool(database_url, max_size=5) as pool:
        yield pool


class SenderProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "refunds", "sender"], env=env,
            stdout=self.log, stderr=subprocess.STDOUT)

    def wait_killed(self, timeout: float = 60) -> int:  # float-ok
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@pytest.fixture
def processes() -> Iterator[list[SenderProcess]]:
    started: list[SenderProcess] = []
    yield started
    for process in started:
        process.stop()


async def _crash_then_finish(pool: asyncpg.Pool, env: dict[str, str], refund_id: str,
                             point: str, log: Path, processes: list[SenderProcess],
                             ) -> asyncpg.Record:
    crashing = SenderProcess({**env, "REFUND_SENDER_CRASH_AT": point}, log)
    processes.append(crashing)
    assert crashing.wait_killed() == -signal.SIGKILL, log.read_text()[-3000:]
    async with pool.acquire() as conn:
        row = await refund_row(conn, refund_id)
        tx = await conn.fetchrow("SELECT * FROM refund_transactions WHERE refund_id = $1",
                                 refund_id)
    want_tx, want_status = COMMITTED[point]
    assert (tx["status"] if tx else None, row["status"]) == (want_tx, want_status)
    processes.append(SenderProcess(env, log))

    async def succeeded() -> asyncpg.Record | None:
        async with pool.acquire() as conn:
            found = await refund_row(conn, refund_id)
        assert found["status"] != "failed", found["failure_reason"]
        return found if found["status"] == "succeeded" else None

    return await eventually(succeeded, what=f"{refund_id} succeeded after restart",
                            timeout=90)


@pytest.mark.parametrize("point", BSC_POINTS)
async def test_bnb_chain_sigkill_leaves_exactly_one_transaction(
        point: str, db_pool: asyncpg.Pool, devnets: Devnets, database_url: str,
        refund_wallets: Wallets, merchant: Callable[[], Awaitable[str]], tmp_path: Path,
        processes: list[SenderProcess]) -> None:
    address, units = fresh_bsc_address(), 1_000_000_000_000_000 + len(point)
    async with db_pool.acquire() as conn:
        refund_id = await insert_refund(conn, await merchant(), asset="BNB", address=address,
                                        stranded_units=units)
    nonce_before = await bsc_nonce(devnets, refund_wallets.bsc.address)
    row = await _crash_then_finish(db_pool, sender_env(devnets, database_url, refund_wallets),
                                   refund_id, point, tmp_path / "sender.log", processes)
    assert await bnb_balance(devnets, address) == units
    assert await bsc_nonce(devnets, refund_wallets.bsc.address) == nonce_before + 1
    receipt = await rpc(devnets.bsc_rpc_url, "eth_getTransactionReceipt", [row["tx_hash"]])
    assert int(receipt["status"], 16) == 1
    async with db_pool.acquire() as conn:
        txs = await conn.fetch("SELECT status FROM refund_transactions WHERE refund_id = $1",
                               refund_id)
        signed_entries = await conn.fetchval(
            "SELECT count(*) FROM journal_entries WHERE idempotency_key = $1",
            f"refund:{refund_id}:signed")
    assert [t["status"] for t in txs] == ["final"] and signed_entries == 1


@pytest.mark.parametrize("point", SOLANA_POINTS)
async def test_solana_sigkill_leaves_exactly_one_transaction(
        point: str, db_pool: asyncpg.Pool, devnets: Devnets, database_url: str,
        refund_wallets: Wallets, merchant: Callable[[], Awaitable[str]], tmp_path: Path,
        processes: list[SenderProcess]) -> None:
    recipient, units = str(Keypair().pubkey()), 3_000_000 + len(point)
    async with db_pool.acquire() as conn:
        refund_id = await insert_refund(conn, await merchant(), asset="SOL",
                                        address=recipient, stranded_units=units)
    row = await _crash_then_finish(db_pool, sender_env(devnets, database_url, refund_wallets),
                                   refund_id, point, tmp_path / "sender.log", processes)
    assert await lamports(devnets, recipient) == units
    assert await signatures_of(devnets, recipient) == [row["tx_hash"]]
