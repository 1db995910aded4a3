"""Running the refund sender: in the app (`setup(app)`, GATEWAY_REFUND_SENDER=on, as under
`make run`) or as its own process (`python -m gateway refunds sender`). Any number of
processes may run it; one is active (leader lock `refund-sender`, gateway.chains.leader)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
from aiohttp import web

from gateway.appkeys import DB_POOL, SETTINGS
from gateway.chains.leader import LeaderLock, lead
from gateway.chains.rpc import RetryPolicy, RpcClient
from gateway.chains.solana.rpc import SolanaRpc
from gateway.config import Settings
from gateway.db.pool import database_url
from gateway.errors import ConfigError
from gateway.refunds.sending import bsc, solana
from gateway.refunds.sending.errors import SignerNotConfigured
from gateway.refunds.sending.network import Network
from gateway.refunds.sending.sender import Sender
from gateway.refunds.sending.signers import Signer, signer_for
from settlement.assets import on_chain

CHAINS = (bsc.CHAIN, solana.CHAIN)
LOCK_NAME = "refund-sender"


def token_addresses(settings: Settings, chain: str) -> dict[str, str]:
    """Asset id -> BEP-20 contract / SPL mint, for the configured tokens of `chain`."""
    found = {}
    for asset in on_chain(chain):
        if asset.token_setting is not None:
            address = getattr(settings, asset.token_setting.lower())
            if address:
                found[asset.id] = str(address)
    return found


def signers(settings: Settings) -> dict[str, Signer]:
    """Each chain's signer; a missing key or address stops the process at start."""
    try:
        return {chain: signer_for(chain, settings.refund_sending) for chain in CHAINS}
    except SignerNotConfigured as exc:
        raise ConfigError(str(exc)) from exc


def networks(settings: Settings) -> dict[str, Network]:
    """The chains' clients (create inside the event loop; close when done)."""
    c = settings.chains
    retry = RetryPolicy(attempts=c.rpc_retries, base_delay=float(c.backoff),  # float-ok
                        max_delay=float(c.backoff_cap))  # float-ok
    timeout = float(c.rpc_timeout)  # float-ok
    return {
        bsc.CHAIN: bsc.BscNetwork(
            RpcClient(settings.bsc_rpc_url, timeout=timeout, retry=retry),
            token_addresses(settings, bsc.CHAIN), finality=c.bsc_finality,
            confirmations=c.bsc_confirmations),
        solana.CHAIN: solana.SolanaNetwork(
            SolanaRpc(settings.solana_rpc_url, timeout=timeout, retry=retry),
            token_addresses(settings, solana.CHAIN)),
    }


@contextlib.asynccontextmanager
async def open_networks(settings: Settings) -> AsyncIterator[dict[str, Network]]:
    """The chains' clients for one piece of work (the offline hand-off), closed after it."""
    chains = networks(settings)
    try:
        yield chains
    finally:
        for network in chains.values():
            with contextlib.suppress(Exception):
                await network.close()


async def run_sender(settings: Settings, pool: asyncpg.Pool) -> None:
    """Lead-or-stand-by as the refund sender until cancelled."""
    keys = signers(settings)
    sending = settings.refund_sending
    interval = float(sending.interval)  # float-ok
    recheck = RetryPolicy(base_delay=interval,
                          max_delay=max(interval, float(sending.funds_recheck_cap)))  # float-ok
    fail_after = (timedelta(seconds=int(sending.underfunded_fail_after))
                  if sending.underfunded_fail_after > 0 else None)

    async def work() -> None:
        chains = networks(settings)
        try:
            await Sender(pool, chains, keys, interval=interval, funds_recheck=recheck,
                         fail_underfunded_after=fail_after).run()
        finally:
            for network in chains.values():
                with contextlib.suppress(Exception):
                    await network.close()

    poll = float(settings.chains.leader_poll)  # float-ok
    await lead(LeaderLock(database_url(settings), LOCK_NAME, poll_interval=poll,
                          check_interval=poll), work)


async def _sender_ctx(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.ensure_future(run_sender(app[SETTINGS], app[DB_POOL]))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def setup(app: web.Application) -> None:
    settings = app[SETTINGS]
    if settings.refund_sending.sender:
        signers(settings)  # fail at start, not later, on a missing key or address
        app.cleanup_ctx.append(_sender_ctx)
