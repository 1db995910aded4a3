"""Fixtures of the lifecycle end-to-end tests (BNB Chain devnet, the shared app and watcher)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tests.plugins.app import ApiClient


@pytest.fixture
async def merchant_client(api_client: Callable[..., ApiClient],
                          make_merchant: Callable[..., Awaitable[str]],
                          make_api_key: Callable[..., Awaitable[str]]
                          ) -> tuple[str, ApiClient]:
    """A new merchant's id and an API client with a key of that merchant."""
    merchant_id = await make_merchant()
    return merchant_id, api_client(await make_api_key(merchant_id))
