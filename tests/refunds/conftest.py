"""Fixtures of the refund tests: a merchant with an API client, the real fact sink."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from gateway.lifecycle.service import apply_invoices
from gateway.rates import RATE_BOOK, RateBook
from gateway.transfers.sink import TransferSink
from tests.plugins.app import ApiClient, RunningApp


@pytest.fixture
async def merchant_client(api_client: Callable[..., ApiClient],
                          make_merchant: Callable[..., Awaitable[str]],
                          make_api_key: Callable[..., Awaitable[str]]
                          ) -> tuple[str, ApiClient]:
    """A new merchant's id and an API client with a key of that merchant."""
    merchant_id = await make_merchant()
    return merchant_id, api_client(await make_api_key(merchant_id))


@pytest.fixture
def sink(db_pool: asyncpg.Pool) -> TransferSink:
    """The real fact sink and lifecycle: payments without a chain."""
    return TransferSink(db_pool, apply_invoices)


@pytest.fixture
def rate_book(app_server: RunningApp) -> RateBook:
    """The shared app's rate book (fixed rates: BNB = 300,000 KZT)."""
    return app_server.app[RATE_BOOK]
