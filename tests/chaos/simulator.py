"""Shoppers, a merchant and bad luck: the chaos run's moving parts.

- `Simulator.scenario`: one invoice through the merchant API (one or two of the seven assets)
  and a randomly chosen way of paying it: exact, partial then topped up, partial then left to
  expire, over, late (after expiry), split in two transfers, split across two assets, paid
  again after settlement, a wrong asset (then the right one), a Solana payment without its
  reference (unmatched), and paid on time but reorged out and mined again after expiry (it
  must still count as on time). Expiry is reached by dating the invoice back (the API's shortest
  `expires_in` is 60 s), as the lifecycle tests do.
- `Simulator.killer`: SIGKILL one gateway process at a random moment, start it again.
- `Simulator.reorger`: on BNB Chain, `evm_snapshot`, a few blocks, `evm_revert` (always less
  deep than finality), and some of the dropped transactions broadcast again (mined anew in a
  later block). The Solana devnet has one fork only: no reorgs there.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from gateway.devnet.split import split_units
from settlement.assets import ASSET_IDS, ASSETS, on_chain
from tests.chaos.api import Api, ApiFailed
from tests.chaos.chains import BSC_TOKENS, SOLANA_MINTS, Bsc
from tests.chaos.payers import SOLANA_WALLETS, BscWallets, Sent, pay_solana, with_mint
from tests.chaos.stack import BSC_FINALITY_BLOCKS, SERVICES, Stack

SCENARIOS = {  # name -> weight
    "exact": 20, "partial_topup": 10, "partial_expired": 10, "over": 10, "late": 10,
    "split_transfers": 10, "split_assets": 15, "after_settlement": 15, "wrong_asset": 5,
    "unmatched": 5, "remined_after_expiry": 5,
}
# Reference-less payments are a Solana thing; reorgs happen on BNB Chain only.
SCENARIO_ASSETS = {"unmatched": tuple(a.id for a in on_chain("solana")),
                   "remined_after_expiry": tuple(a.id for a in on_chain("bsc"))}
REORG_MAX_DEPTH = BSC_FINALITY_BLOCKS - 6  # blocks; the revert is skipped if deeper by then
WAIT_STATUS_S = 30.0
BACKDATE = """
UPDATE invoices SET created_at = now() - interval '10 minutes',
                    expires_at = now() - interval '1 minute',
                    late_accept_window = interval '0'
 WHERE id = $1
"""
EXPIRE_NOW = "UPDATE invoices SET expires_at = now(), late_accept_window = '0' WHERE id = $1"


@dataclass(frozen=True)
class Snapshot:
    """An `evm_snapshot`: its id, the head block then, when (monotonic), reverts before."""

    id: str
    block: int
    at: float  # float-ok
    reverts: int


@dataclass
class Tally:
    invoices: list[dict[str, Any]] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    scenarios: Counter[str] = field(default_factory=Counter)
    reorgs: int = 0
    reorgs_skipped: int = 0
    rebroadcast: int = 0
    failed_payments: list[str] = field(default_factory=list)  # refused by a node
    failed_invoices: list[str] = field(default_factory=list)  # the API never answered
    on_time: list[str] = field(default_factory=list)  # paid before expiry, mined again after


@dataclass
class Simulator:
    stack: Stack
    api: Api
    bsc: Bsc
    pool: asyncpg.Pool
    seed: int
    tally: Tally = field(default_factory=Tally)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # the chaos: kills and reorgs
        self.bsc_wallets = BscWallets(self.bsc)
        self.solana_locks = {w: asyncio.Lock() for w in SOLANA_WALLETS}
        self._solana_wallet = itertools.cycle(SOLANA_WALLETS)
        self.restarts: list[asyncio.Future[None]] = []
        self.restarting: set[str] = set()
        self.reverts = 0  # successful evm_reverts so far

    # -- paying ------------------------------------------------------------------------------
    async def pay(self, invoice: dict[str, Any], asset_id: str, units: int, kind: str,
                  split: int = 1, *, send: str | None = None,
                  drop_reference: bool = False) -> None:
        """Pay `units` to the invoice's `asset_id` option: in that asset, or in `send` (another
        asset of the same chain: a wrong asset), optionally without the Solana reference."""
        option = next(o for o in invoice["payment_options"] if o["asset_id"] == asset_id)
        sent = send or asset_id
        try:
            if option["chain"] == "bsc":
                for part in split_units(units, split):
                    tx = await self.bsc_wallets.pay_to(option["address"], BSC_TOKENS.get(sent),
                                                       part)
                    self._record("bsc", sent, tx, invoice["id"], part, kind)
                return
            uri = option["uri"] if sent == asset_id else with_mint(option["uri"],
                                                                   SOLANA_MINTS.get(sent))
            wallet = next(self._solana_wallet)
            async with self.solana_locks[wallet]:
                paid = await pay_solana(self.stack.solana_rpc_url, uri, units,
                                        ASSETS[sent].decimals, wallet, split, drop_reference)
            for signature, part in paid:
                self._record("solana", sent, signature, invoice["id"], part, kind)
        except Exception as exc:  # a payment the node refused is reported, not fatal
            self.tally.failed_payments.append(f"{invoice['id']} {sent} {units}: {exc!r}")

    def _record(self, chain: str, asset_id: str, tx: str, invoice_id: str, units: int,
                kind: str) -> None:
        self.tally.sent.append(Sent(chain, asset_id, tx, invoice_id, units, kind))

    # -- waiting on the gateway --------------------------------------------------------------
    async def wait_for(self, invoice_id: str, statuses: set[str],
                       paid: bool = False) -> dict[str, Any]:
        """The invoice once its status is one of `statuses` (and, with `paid`, some payment
        is final), or as it is after WAIT_STATUS_S: chaos may have removed the payment."""
        deadline = time.monotonic() + WAIT_STATUS_S
        while True:
            invoice = await self.api.invoice(invoice_id)
            final = any(p["status"] == "final" for p in invoice["payments"])
            if invoice["status"] in statuses and (final or not paid):
                return invoice
            if time.monotonic() > deadline:
                return invoice
            await asyncio.sleep(0.3)

    async def backdate(self, invoice_id: str) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute(BACKDATE, invoice_id)

    # -- scenarios ---------------------------------------------------------------------------
    async def scenario(self, number: int) -> None:
        # Its own generator: the same seed picks the same scenarios whatever the timing.
        rng = random.Random(self.seed * 1_000_003 + number)
        kind = rng.choices(list(SCENARIOS), weights=list(SCENARIOS.values()))[0]
        assets = rng.sample(SCENARIO_ASSETS.get(kind, ASSET_IDS),
                            2 if kind == "split_assets" else 1)
        amount = rng.randrange(20_000, 500_000)
        try:
            invoice = await self.api.create_invoice(f"chaos-{number}", amount, assets)
        except ApiFailed as exc:
            self.tally.failed_invoices.append(f"invoice {number} not created: {exc}")
            return
        self.tally.invoices.append(invoice)
        self.tally.scenarios[kind] += 1
        units = {o["asset_id"]: int(o["amount_units"]) for o in invoice["payment_options"]}
        asset = assets[0]
        full = units[asset]
        await asyncio.sleep(rng.uniform(0, 1.0))
        await self._play(rng, kind, invoice, asset, full, units)

    async def _play(self, rng: random.Random, kind: str, invoice: dict[str, Any], asset: str,
                    full: int, units: dict[str, int]) -> None:
        inv_id = invoice["id"]
        half = max(1, full * rng.randrange(20, 70) // 100)
        if kind == "exact":
            await self.pay(invoice, asset, full, "exact")
        elif kind == "over":
            await self.pay(invoice, asset, full * rng.randrange(110, 200) // 100, "over")
        elif kind == "partial_topup":
            await self.pay(invoice, asset, half, "partial")
            await asyncio.sleep(rng.uniform(0, 2))
            await self.pay(invoice, asset, full - half, "topup")
        elif kind == "partial_expired":
            await self.pay(invoice, asset, half, "partial")
            await self.wait_for(inv_id, {"new"}, paid=True)
            await self.backdate(inv_id)
        elif kind == "late":
            await self.backdate(inv_id)
            await self.wait_for(inv_id, {"expired"})
            await self.pay(invoice, asset, full, "late")
        elif kind == "split_transfers":
            await self.pay(invoice, asset, full, "split", split=2)
        elif kind == "split_assets":
            first, second = (o["asset_id"] for o in invoice["payment_options"])
            await asyncio.gather(
                self.pay(invoice, first, (units[first] + 1) // 2, "split_asset"),
                self.pay(invoice, second, (units[second] + 1) // 2, "split_asset"))
        elif kind == "wrong_asset":
            wrong = rng.choice([a.id for a in on_chain(ASSETS[asset].chain) if a.id != asset])
            await self.pay(invoice, asset, 10 ** ASSETS[wrong].decimals * rng.randrange(1, 5),
                           "wrong_asset", send=wrong)
            await self.pay(invoice, asset, full, "exact")
        elif kind == "remined_after_expiry":
            await self.remined_after_expiry(invoice, asset, full)
        elif kind == "unmatched":
            await self.pay(invoice, asset, full, "no_reference", drop_reference=True)
        elif kind == "after_settlement":
            await self.pay(invoice, asset, full, "exact")
            await self.wait_for(inv_id, {"settled"})
            await self.pay(invoice, asset, max(1, full * rng.randrange(10, 100) // 100),
                           "after_settlement")

    async def shoppers(self, count: int, concurrency: int) -> None:
        gate = asyncio.Semaphore(concurrency)

        async def one(number: int) -> None:
            async with gate:
                await self.scenario(number)

        await asyncio.gather(*(one(n) for n in range(count)))

    # -- chaos -------------------------------------------------------------------------------
    async def killer(self, every: tuple[float, float]) -> None:  # float-ok
        """Until cancelled: SIGKILL a random running service; it starts again after a random
        pause, in the background (so kills overlap: the API and a leader may be down at
        once)."""
        while True:
            await asyncio.sleep(self.rng.uniform(*every))
            running = [name for name in SERVICES
                       if name in self.stack.procs and name not in self.restarting]
            if not running:
                continue
            name = self.rng.choice(running)
            self.restarting.add(name)
            await asyncio.to_thread(self.stack.kill, name)
            self.restarts.append(asyncio.ensure_future(
                self._restart(name, self.rng.uniform(0, 2.0))))

    async def _restart(self, name: str, after: float) -> None:  # float-ok
        await asyncio.sleep(after)
        await asyncio.to_thread(self.stack.start, name)
        self.restarting.discard(name)

    async def reorger(self, every: tuple[float, float]) -> None:  # float-ok
        """Until cancelled: a BNB Chain reorg of a few blocks, never as deep as finality."""
        while True:
            await asyncio.sleep(self.rng.uniform(*every))
            mark = await self.snapshot()
            await asyncio.sleep(self.rng.uniform(0.3, 1.2))
            await self.reorg(mark, rebroadcast=0.5)

    async def snapshot(self) -> Snapshot:
        return Snapshot(await self.bsc.snapshot(), await self.bsc.head(), time.monotonic(),
                        self.reverts)

    async def reorg(self, mark: Snapshot, rebroadcast: float) -> bool:  # float-ok
        """Back to `mark` unless the chain has grown too deep since, or another revert came
        between (the chain may have been higher then: finality is not judged from here);
        then each wallet's dropped transactions are broadcast again with probability
        `rebroadcast`. Whether it reorged."""
        async with contextlib.AsyncExitStack() as held:
            for lock in self.bsc_wallets.locks.values():
                await held.enter_async_context(lock)
            if self.reverts != mark.reverts \
                    or await self.bsc.head() - mark.block > REORG_MAX_DEPTH \
                    or not await self.bsc.revert(mark.id):
                self.tally.reorgs_skipped += 1
                return False
            self.reverts += 1
            self.tally.reorgs += 1
            await self._rebroadcast(mark.at, rebroadcast)
            return True

    async def _rebroadcast(self, since: float, probability: float) -> None:  # float-ok
        """Per wallet, all or none of its dropped transactions again, in nonce order (a gap
        would leave the later ones stuck in the pool)."""
        dropped = [b for b in self.bsc_wallets.recent
                   if b.at >= since - 1 and not await self.bsc.mined_ok(b.tx)]
        by_wallet: dict[int, list[Any]] = {}
        for b in dropped:
            by_wallet.setdefault(b.wallet, []).append(b)
        for txs in by_wallet.values():
            if self.rng.random() >= probability:
                continue
            for b in sorted(txs, key=lambda b: b.nonce):
                with contextlib.suppress(Exception):  # already in the pool: fine
                    await self.bsc.call("eth_sendRawTransaction", ["0x" + b.raw.hex()])
                    self.tally.rebroadcast += 1
        self.bsc_wallets.forget_before(time.monotonic() - 30)

    async def remined_after_expiry(self, invoice: dict[str, Any], asset: str,
                                   full: int) -> None:
        """Paid before expiry, reorged out, the invoice expires, the same transaction is mined
        again: still on time (a payment keeps the time the gateway first saw it)."""
        mark = await self.snapshot()
        await self.pay(invoice, asset, full, "remined")
        seen = await self.wait_for(invoice["id"], {"processing"})
        if seen["status"] != "processing":
            return  # not seen before the reorg (a watcher was down): nothing to judge
        async with self.pool.acquire() as conn:
            await conn.execute(EXPIRE_NOW, invoice["id"])
        if await self.reorg(mark, rebroadcast=1.0):
            self.tally.on_time.append(invoice["id"])
