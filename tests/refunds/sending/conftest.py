"""Fixtures of the refund sending tests: funded hot wallets and an in-process sender on the
session's devnets and database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from datetime import timedelta

import asyncpg
import pytest

from gateway.chains.rpc import RetryPolicy
from gateway.config import Settings
from gateway.devnet.refund_wallets import fund_bsc, fund_solana
from gateway.refunds.models import Refund
from gateway.refunds.sending.sender import Sender
from gateway.refunds.sending.wiring import networks, signers
from tests.plugins.devnet import Devnets
from tests.refunds.sending.support import TEST_REASON, Wallets, new_wallets, sender_settings


@pytest.fixture(scope="session")
async def refund_wallets(devnets: Devnets) -> Wallets:
    """Fresh refund hot wallets, funded on the devnets the way `make run` funds its own."""
    if devnets.solana_rpc_url is None:
        pytest.fail("the Solana devnet did not start (see docs/devnets.md)")
    wallets = new_wallets()
    await fund_bsc(devnets.bsc_rpc_url, wallets.bsc.address)
    await fund_solana(devnets.solana_rpc_url, str(wallets.solana.pubkey()),
                      devnets.solana_mints)
    return wallets


@pytest.fixture
def hot_settings(devnets: Devnets, database_url: str, refund_wallets: Wallets) -> Settings:
    return sender_settings(devnets, database_url, refund_wallets)


@contextlib.asynccontextmanager
async def running_sender(pool: asyncpg.Pool, settings: Settings,
                         also: Collection[str] = (), *, funds_recheck: RetryPolicy | None = None,
                         fail_underfunded_after: timedelta | None = None,
                         ) -> AsyncIterator[Sender]:
    """A sender (no leader lock) running until the block ends. It takes only the refunds the
    sending tests inserted (support.insert_refund) and those named in `also`: another test's
    refund left in `sending` would otherwise be sent, or (offline) hold a nonce before ours."""
    chains = networks(settings)

    def ours(refund: Refund) -> bool:
        return refund.reason == TEST_REASON or refund.id in also

    sender = Sender(pool, chains, signers(settings), interval=0.1, takes=ours,
                    funds_recheck=funds_recheck, fail_underfunded_after=fail_underfunded_after)
    task = asyncio.ensure_future(sender.run())
    try:
        yield sender
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for network in chains.values():
            await network.close()


@contextlib.asynccontextmanager
async def running_sender_task(sender: Sender) -> AsyncIterator[None]:
    """`sender` running until the block ends (its networks are the caller's to close)."""
    task = asyncio.ensure_future(sender.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
def merchant(make_merchant: Callable[..., Awaitable[str]]) -> Callable[[], Awaitable[str]]:
    return make_merchant
