"""Running the watchers: in the app (`setup(app)`, GATEWAY_WATCHERS=on) or as their own
process (`python -m gateway watch --chain bsc|solana`).

Each chain runs under its own leader lock (`watcher:<chain>`), the expiry sweeper under
`lifecycle-sweeper`: any number of processes may run them, one is active per lock and the
others stand by (gateway.chains.leader). A chain's watched set and RPC client exist only
while its process leads.

The chain path is composed here, one way: a watcher (gateway.chains) emits facts into the
one sink (gateway.transfers.sink), which stores them and applies the lifecycle
(gateway.lifecycle, handed to the sink here) in one transaction; settling books in
settlement. A chain plugs in through WATCHER_FACTORIES: a function taking (settings, sink,
watched) and returning an object with `async run()` and `async close()`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Protocol

import asyncpg
from aiohttp import web

from gateway.aio import cancel_and_wait
from gateway.appkeys import DB_POOL, SETTINGS
from gateway.chains.bsc.scan import BscScanner
from gateway.chains.bsc.watcher import BscConfig, BscWatcher
from gateway.chains.errors import InvariantBroken
from gateway.chains.facts import FactSink
from gateway.chains.health import Health
from gateway.chains.leader import LeaderLock, lead
from gateway.chains.rpc import RetryPolicy, RpcClient
from gateway.chains.solana.setup import build_solana
from gateway.chains.watched import WatchedSet
from gateway.config import KNOWN_CHAINS, Settings
from gateway.db.pool import create_pool, database_url
from gateway.errors import ConfigError
from gateway.invoices.catalog import TOKEN_SETTINGS
from gateway.lifecycle.scheduler import Sweeper
from gateway.lifecycle.service import NO_FLOORS, DustFloors, apply_invoices
from gateway.log import get_logger
from gateway.status.monitor import ChainMonitor
from gateway.transfers.sink import TransferSink
from settlement.assets import on_chain

log = get_logger(__name__)

BSC_TOKENS = tuple(asset.id for asset in on_chain("bsc") if not asset.native)


class ChainWatcher(Protocol):
    @property
    def health(self) -> Health: ...
    async def run(self) -> None: ...
    async def close(self) -> None: ...


Factory = Callable[[Settings, FactSink, WatchedSet], ChainWatcher]


def bsc_tokens(settings: Settings) -> dict[str, str]:
    """Every configured BEP-20 contract -> asset id, offered or not: a token sent to an
    invoice that did not offer it must still be seen (and recorded as wrong_asset)."""
    tokens = {}
    for asset in BSC_TOKENS:
        address = getattr(settings, TOKEN_SETTINGS[asset][0])
        if address is not None:
            tokens[address.lower()] = asset
    return tokens


class _BscRunning:
    def __init__(self, watcher: BscWatcher, rpc: RpcClient) -> None:
        self.watcher, self.rpc = watcher, rpc

    @property
    def health(self) -> Health:
        health = self.watcher.health
        health.transfers, health.reorgs = self.watcher.stats.transfers, self.watcher.stats.reorgs
        return health

    async def run(self) -> None:
        await self.watcher.run()

    async def close(self) -> None:
        await self.rpc.close()


def build_bsc(settings: Settings, sink: FactSink, watched: WatchedSet) -> ChainWatcher:
    c = settings.chains
    rpc = RpcClient(settings.bsc_rpc_url, timeout=float(c.rpc_timeout),  # float-ok
                    retry=RetryPolicy(attempts=c.rpc_retries,
                                      base_delay=float(c.backoff),  # float-ok
                                      max_delay=float(c.backoff_cap)))  # float-ok
    config = BscConfig(
        rpc_url=settings.bsc_rpc_url, tokens=bsc_tokens(settings),
        poll_interval=float(c.bsc_poll_interval), finality=c.bsc_finality,  # float-ok
        confirmations=c.bsc_confirmations, start_block=c.bsc_start_block,
        span=min(c.bsc_block_batch, c.bsc_log_range), history=c.bsc_block_history,
        backoff=float(c.backoff), backoff_cap=float(c.backoff_cap),  # float-ok
        recent=c.recent_blocks,
    )
    scanner = BscScanner(rpc, config.tokens, watched, trace_internal=c.bsc_trace_internal)
    return _BscRunning(BscWatcher(config, sink, scanner), rpc)


WATCHER_FACTORIES: dict[str, Factory] = {"bsc": build_bsc, "solana": build_solana}


def _factory(chain: str) -> Factory:
    factory = WATCHER_FACTORIES.get(chain)
    if factory is None:
        raise ConfigError(f"GATEWAY_WATCH_CHAINS names {chain}, which has no watcher yet")
    return factory


def fact_sink(pool: asyncpg.Pool, dust_floors: DustFloors = NO_FLOORS) -> TransferSink:
    """The one sink every watcher emits into, applying the lifecycle to what it stores
    (transfers below their asset's dust floor are never credited)."""
    return TransferSink(pool, partial(apply_invoices, floors=dust_floors))


async def _watch_once(chain: str, settings: Settings, pool: asyncpg.Pool,
                      monitor: ChainMonitor) -> None:
    """Run the chain's watcher with its heartbeat until a broken invariant halts it."""
    watched = WatchedSet(database_url(settings), pool,
                         reload_interval=settings.chains.watched_reload_s)
    floors = dict(settings.settlement.dust_floors)
    watcher = _factory(chain)(settings, fact_sink(pool, floors), watched)
    tasks = [asyncio.ensure_future(watched.run()),
             asyncio.ensure_future(monitor.heartbeat(lambda: watcher.health))]
    try:
        await watcher.run()
    except InvariantBroken as exc:
        await monitor.beat(watcher.health)
        await monitor.halt(str(exc))
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2):
                await monitor.stand_down()
        raise
    finally:
        for task in tasks:
            task.cancel()  # all of them first: a cancel arriving below leaves none running
        for task in tasks:
            await cancel_and_wait(task)
            if not task.cancelled() and (error := task.exception()) is not None:
                # cancel_and_wait leaves a helper's own failure on it: said here, not lost.
                log.error("watcher_helper_failed", chain=chain, error=repr(error))
        await watcher.close()


async def watch_chain(chain: str, settings: Settings, pool: asyncpg.Pool) -> None:
    """Lead-or-stand-by for one chain until cancelled; a halted chain waits for a resync
    (gateway.status) instead of stopping."""
    dsn = database_url(settings)
    _factory(chain)
    c = settings.chains
    monitor = ChainMonitor(pool, chain, float(c.status_heartbeat))  # float-ok

    async def work() -> None:
        while True:
            await monitor.wait_resumed()
            await _watch_once(chain, settings, pool, monitor)

    lock = LeaderLock(dsn, f"watcher:{chain}", poll_interval=float(c.leader_poll),  # float-ok
                      check_interval=float(c.leader_poll))  # float-ok
    await lead(lock, work)


async def sweep(settings: Settings, pool: asyncpg.Pool) -> None:
    c = settings.chains
    interval = float(c.sweep_interval)  # float-ok
    sweeper = Sweeper(pool, interval=interval)
    lock = LeaderLock(database_url(settings), "lifecycle-sweeper",
                      poll_interval=float(c.leader_poll),  # float-ok
                      check_interval=float(c.leader_poll))  # float-ok
    await lead(lock, sweeper.run)


def background(settings: Settings, pool: asyncpg.Pool,
               chains: tuple[str, ...]) -> list[Awaitable[None]]:
    return [*(watch_chain(chain, settings, pool) for chain in chains), sweep(settings, pool)]


# -- in the app ------------------------------------------------------------------------------
async def _watchers_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    tasks = [asyncio.ensure_future(job) for job in
             background(settings, app[DB_POOL], settings.chains.watch_chains)]
    yield
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def setup(app: web.Application) -> None:
    settings = app[SETTINGS]
    if settings.chains.watchers:
        for chain in settings.chains.watch_chains:
            _factory(chain)  # fail at start, not later, for a chain without a watcher
        app.cleanup_ctx.append(_watchers_ctx)


# -- as a process ----------------------------------------------------------------------------
def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("watch", help="run a chain watcher (one active per chain)")
    parser.add_argument("--chain", required=True, choices=KNOWN_CHAINS)
    parser.add_argument("--no-sweeper", action="store_true",
                        help="do not also run the expiry / monitoring-window sweeper")
    parser.set_defaults(func=handle)


async def _watch(settings: Settings, chain: str, with_sweeper: bool) -> None:
    pool = await create_pool(database_url(settings), min_size=2, max_size=10)
    jobs = [watch_chain(chain, settings, pool)]
    if with_sweeper:
        jobs.append(sweep(settings, pool))
    tasks = [asyncio.ensure_future(job) for job in jobs]
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: [t.cancel() for t in tasks])
    log.info("watch_started", chain=chain, sweeper=with_sweeper)
    try:
        await asyncio.gather(*tasks)
    except asyncio.CancelledError:
        log.info("watch_stopped", chain=chain)
    finally:
        await pool.close()


def handle(args: argparse.Namespace, settings: Settings) -> int:
    _factory(args.chain)
    asyncio.run(_watch(settings, args.chain, not args.no_sweeper))
    return 0
