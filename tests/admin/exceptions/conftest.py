"""Fixtures of the exceptions queue tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tests.plugins.app import ApiClient


@pytest.fixture
async def client(api_client: Callable[..., ApiClient],
                 make_merchant: Callable[..., Awaitable[str]],
                 make_api_key: Callable[..., Awaitable[str]]) -> ApiClient:
    return api_client(await make_api_key(await make_merchant()))


@pytest.fixture
async def client_api(client: ApiClient) -> ApiClient:
    """The merchant API client under a name that does not clash with the console's."""
    return client
