"""`python -m gateway watch --chain bsc` as real processes: one leads, one stands by; the
leader is killed with SIGKILL in the middle of a stream of payments, the standby takes over
from the cursor in PostgreSQL, and every payment is stored and booked exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from gateway.devnet.bsc_wallet import pay_uri
from tests.plugins.devnet import Devnets
from tests.plugins.eventually import eventually
from tests.plugins.watchers import Isolated, create_invoice, option

ROOT = Path(__file__).resolve().parents[2]
AMOUNT = 150_000


def start_watcher(isolated: Isolated, devnets: Devnets, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ, "GATEWAY_ENV": "dev", "DATABASE_URL": isolated.database_url,
        "BSC_RPC_URL": devnets.bsc_rpc_url, "GATEWAY_PUBLIC_URL": isolated.app.url,
        "BSC_POLL_INTERVAL": "0.05", "LIFECYCLE_SWEEP_INTERVAL": "0.2",
        "WATCHER_LEADER_POLL": "0.2", "CHAIN_BACKOFF": "0.05", "BSC_CONFIRMATIONS": "2",
        "GATEWAY_LOG_LEVEL": "info", "GATEWAY_LOG_FORMAT": "json",
    }
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "gateway", "watch", "--chain", "bsc"],
                                env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


async def test_kill_9_mid_stream_books_each_payment_once(
        isolated: Isolated, devnets: Devnets, tmp_path: Path) -> None:
    _, client = await isolated.client()
    invoices = [await create_invoice(client, AMOUNT, ["BNB"]) for _ in range(6)]
    leader = start_watcher(isolated, devnets, tmp_path / "a.log")
    standby = None
    try:
        await eventually(lambda: isolated.pool.fetchval("SELECT count(*) FROM chain_cursors"),
                         what="a chain cursor", timeout=30)
        standby = start_watcher(isolated, devnets, tmp_path / "b.log")
        for invoice in invoices[:3]:
            await pay_uri(option(invoice, "BNB")["uri"], rpc_url=devnets.bsc_rpc_url,
                          wallet=3, split=2)
        await eventually(lambda: isolated.pool.fetchval(
            "SELECT count(*) FROM invoices WHERE id = $1 AND "
            "status IN ('processing', 'settled')", invoices[0]["id"]),
            what="the first invoice paid", timeout=30)
        leader.send_signal(signal.SIGKILL)
        leader.wait(10)
        killed_at = time.monotonic()
        for invoice in invoices[3:]:
            await pay_uri(option(invoice, "BNB")["uri"], rpc_url=devnets.bsc_rpc_url,
                          wallet=3, split=2)
        ids = [i["id"] for i in invoices]
        await eventually(lambda: isolated.pool.fetchval(
            "SELECT count(*) = 6 FROM invoices "
            "WHERE id = ANY($1::text[]) AND status = 'settled'", ids),
            what="all six invoices settled", timeout=40)
        assert time.monotonic() - killed_at < 30
        async with isolated.pool.acquire() as conn:
            entries = await conn.fetch(
                "SELECT reference, count(*) AS n FROM journal_entries "
                "WHERE reference = ANY($1::text[]) GROUP BY reference", ids)
            transfers = await conn.fetchval(
                "SELECT count(*) FROM chain_transfers WHERE invoice_id = ANY($1::text[])", ids)
            settled_events = await conn.fetchval(
                "SELECT count(*) FROM events WHERE invoice_id = ANY($1::text[]) "
                "AND type = 'invoice.settled'", ids)
        assert sorted((r["reference"], r["n"]) for r in entries) == sorted((i, 1) for i in ids)
        assert transfers == 12 and settled_events == 6
    finally:
        for proc in (leader, standby):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(10)
    assert standby is not None and standby.returncode == 0
