"""One chaos run: start the stack, let shoppers pay while processes die and BNB Chain reorgs,
let everything settle, then judge (tests/chaos/checks.py).

`make chaos` runs `python -m tests.chaos.run` (CHAOS_INVOICES, default 500) and prints the
counts; `tests/chaos/test_chaos.py` runs the same with 50 invoices inside `make test`.
Knobs (environment): CHAOS_INVOICES, CHAOS_SEED, CHAOS_CONCURRENCY, CHAOS_KEEP (keep the temp
workspace and its process logs for a look after a failure).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from gateway.log import configure_logging
from tests.chaos import checks
from tests.chaos.api import Api
from tests.chaos.chains import Bsc, Solana
from tests.chaos.simulator import Simulator, Tally
from tests.chaos.stack import SERVICES, Stack, running_stack

DEFAULT_INVOICES = 500
SETTLE_TIMEOUT_S = 120.0
KILL_EVERY_S = (0.5, 2.5)
REORG_EVERY_S = (1.0, 3.0)
ADMIN_PASSWORD = "chaos-run-password-1"
PENDING = """
SELECT (SELECT count(*) FROM chain_transfers WHERE status = 'detected')
     + (SELECT count(*) FROM invoices WHERE status = 'processing' AND order_id LIKE 'chaos-%')
"""
DETECTED = "SELECT count(*) FROM chain_transfers WHERE status = 'detected'"
# A processing invoice with nothing pending is one whose payment a reorg took back after
# expiry: it waits for the same transaction to be mined again until its monitoring window
# (24 h) ends. The chains are quiet now, so end that window; the sweep makes it invalid.
# (The window is shortened, not the expiry moved: lateness stays judged as it was.)
END_WAITING = """
UPDATE invoices i SET monitoring_window = now() - i.expires_at
 WHERE i.status = 'processing' AND i.order_id LIKE 'chaos-%' AND i.expires_at < now()
   AND NOT EXISTS (SELECT 1 FROM chain_transfers t
                    WHERE t.invoice_id = i.id AND t.status = 'detected')
"""
OPEN_INVOICES = "SELECT id FROM invoices WHERE status = 'new' AND order_id LIKE 'chaos-%'"
EXPIRE_OPEN = """
UPDATE invoices SET expires_at = now() - interval '1 second', late_accept_window = '0'
 WHERE status = 'new' AND order_id LIKE 'chaos-%'
"""


@dataclass
class Report:
    invoices: int
    tally: Tally
    verdict: checks.Verdict
    kills: dict[str, int]
    api_retries: int
    seconds: float  # float-ok
    phases: dict[str, float]  # float-ok

    def lines(self) -> list[str]:
        payments = Counter(s.kind for s in self.tally.sent)
        chains = Counter(s.chain for s in self.tally.sent)
        return [
            f"chaos run: {self.invoices} invoices in {self.seconds:.1f} s ("
            + ", ".join(f"{k} {v:.1f} s" for k, v in self.phases.items()) + ")",
            f"  scenarios: {dict(sorted(self.tally.scenarios.items()))}",
            f"  invoices by final status: {dict(sorted(self.verdict.statuses.items()))}",
            f"  payments by kind: {dict(sorted(payments.items()))} (by chain: {dict(chains)})",
            f"  transfers checked: {len(self.tally.sent)} "
            f"{dict(sorted(self.verdict.transfers.items()))}",
            f"  kills (SIGKILL): {sum(self.kills.values())} {dict(sorted(self.kills.items()))}",
            f"  reorgs (BNB Chain): {self.tally.reorgs} (skipped as too deep: "
            f"{self.tally.reorgs_skipped}), dropped transactions broadcast again: "
            f"{self.tally.rebroadcast}",
            f"  merchant API retries across kills: {self.api_retries}",
            f"  payments the nodes refused: {len(self.tally.failed_payments)}, invoices the API "
            f"never answered: {len(self.tally.failed_invoices)}",
            *(f"    {f}" for f in [*self.tally.failed_payments, *self.tally.failed_invoices][:10]),
            "  custody per asset (chain = ledger + exceptions): " + ", ".join(
                f"{a}={c}={ledger}+{exc}"
                for a, (c, ledger, exc) in self.verdict.custody.items()),
            f"  problems: {len(self.verdict.problems)}",
            *(f"    {p}" for p in self.verdict.problems[:50]),
        ]


def admin_token(stack: Stack) -> str:
    made = stack.ws.cli("admin", "create", "--username", "chaos", "--role", "admin",
                        "--password", ADMIN_PASSWORD)
    assert made.returncode == 0, made.stderr
    token = stack.ws.cli("admin", "token", "create", "--username", "chaos", "--name",
                         "chaos run", "--read-only")
    assert token.returncode == 0, token.stderr
    return token.stdout.strip().splitlines()[0]


async def until(condition: Any, what: str, api: Api,
                timeout: float = SETTLE_TIMEOUT_S) -> None:  # float-ok
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            status = json.dumps(await api.status(), indent=1)
            raise AssertionError(f"not settled in {timeout:.0f}s: {what}; GET /v1/status: "
                                 f"{status}")
        await asyncio.sleep(0.3)


async def settle(stack: Stack, api: Api, bsc: Bsc, solana: Solana, pool: asyncpg.Pool) -> None:
    """After the chaos: every service up, the watchers past the last block, nothing pending,
    every invoice waiting for a reorged-out payment past its monitoring window (invalid) and
    every invoice still open expired (so what it holds is stranded, not in limbo)."""
    await asyncio.to_thread(stack.ensure_running)
    bsc_head = await bsc.head()
    solana_slot = await solana.slot()

    async def caught_up() -> bool:
        chains = (await api.status())["chains"]
        return bool((chains["bsc"]["finalized"] or 0) >= bsc_head
                    and (chains["solana"]["finalized"] or 0) >= solana_slot)

    async def quiet() -> bool:
        async with pool.acquire() as conn:
            return bool(await conn.fetchval(PENDING) == 0)

    async def closed() -> bool:
        async with pool.acquire() as conn:
            return not await conn.fetch(OPEN_INVOICES)

    async def detected_none() -> bool:
        async with pool.acquire() as conn:
            return bool(await conn.fetchval(DETECTED) == 0)

    await until(caught_up, f"watchers reaching bsc {bsc_head} / solana {solana_slot}", api)
    await until(detected_none, "pending transfers", api)
    async with pool.acquire() as conn:
        await conn.execute(END_WAITING)
    await until(quiet, "pending transfers / processing invoices", api)
    async with pool.acquire() as conn:
        await conn.execute(EXPIRE_OPEN)
    await until(closed, "open invoices expiring", api)
    await until(quiet, "pending transfers / processing invoices after expiry", api)


def reconcile(stack: Stack) -> dict[str, Any]:
    done = stack.ws.cli("reconcile", "run", timeout=120)
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found


async def chaos(stack: Stack, invoices: int, seed: int, concurrency: int) -> Report:
    started = time.monotonic()
    phases: dict[str, float] = {}  # float-ok

    def phase(name: str) -> None:
        phases[name] = time.monotonic() - started - sum(phases.values())
    token = await asyncio.to_thread(admin_token, stack)
    async with (aiohttp.ClientSession() as session,
                asyncpg.create_pool(stack.database_url, min_size=1, max_size=4) as pool):
        api = Api(session, stack.ws.url, stack.api_key(), token)
        bsc, solana = Bsc(session, stack.bsc_rpc_url), Solana(session, stack.solana_rpc_url)
        solana_before = await checks.solana_balances(solana)
        sim = Simulator(stack, api, bsc, pool, seed)
        chaos_tasks = [asyncio.ensure_future(sim.killer(KILL_EVERY_S)),
                       asyncio.ensure_future(sim.reorger(REORG_EVERY_S))]
        try:
            await sim.shoppers(invoices, concurrency)
        finally:
            for task in chaos_tasks:
                task.cancel()
            for task in chaos_tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await asyncio.gather(*sim.restarts)
        phase("paying")
        await settle(stack, api, bsc, solana, pool)
        phase("settling")
        facts = await checks.gather_facts(
            sim.tally.sent, [i["id"] for i in sim.tally.invoices], api, bsc, solana, pool,
            solana_before, await asyncio.to_thread(reconcile, stack))
        verdict = await checks.verdict_of(facts, pool, sim.tally.on_time)
        verdict.problems.extend(stack.crashes)
        phase("checking")
    return Report(len(sim.tally.invoices), sim.tally, verdict, dict(stack.kills),
                  api.retries, time.monotonic() - started, phases)


@contextlib.contextmanager
def workspace_root() -> Iterator[Path]:
    # Short path under /tmp: the database's unix socket path is limited to ~100 bytes.
    if os.environ.get("CHAOS_KEEP"):
        yield Path(tempfile.mkdtemp(prefix="ccp-chaos-", dir="/tmp"))
        return
    with tempfile.TemporaryDirectory(prefix="ccp-chaos-", dir="/tmp",
                                     ignore_cleanup_errors=True) as tmp:
        yield Path(tmp)


def run_chaos(invoices: int) -> Report:
    seed = int(os.environ.get("CHAOS_SEED") or random.randrange(10**6))
    concurrency = int(os.environ.get("CHAOS_CONCURRENCY", "12"))
    print(f"chaos run: seed {seed} (CHAOS_SEED={seed} repeats each invoice's scenario; the "
          "kills and reorgs land where the timing puts them)", flush=True)
    configure_logging("console", "warning")  # the wallets' info lines would drown the counts
    started = time.monotonic()
    with workspace_root() as root, running_stack(root) as stack:
        ready = time.monotonic() - started
        try:
            report = asyncio.run(chaos(stack, invoices, seed, concurrency))
        except BaseException:
            print_tails(stack)
            raise
        report.phases = {"starting": ready, **report.phases}
        report.seconds = time.monotonic() - started  # with the stack's start
        if report.verdict.problems:
            print_tails(stack)
    return report


def print_tails(stack: Stack) -> None:
    for name in SERVICES:
        print(f"--- {name} (tail) ---\n{stack.tail(name, 2000)}", file=sys.stderr)


def main() -> int:
    report = run_chaos(int(os.environ.get("CHAOS_INVOICES", DEFAULT_INVOICES)))
    print("\n".join(report.lines()))
    return 1 if report.verdict.problems or report.tally.failed_invoices else 0


if __name__ == "__main__":
    raise SystemExit(main())
