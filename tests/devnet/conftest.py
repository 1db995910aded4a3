"""Fixtures of the devnet tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from web3 import AsyncHTTPProvider, AsyncWeb3

from tests.plugins.devnet import Devnets


@pytest.fixture
async def w3(devnets: Devnets) -> AsyncIterator[AsyncWeb3[Any]]:
    """web3.py on the session's BNB Chain devnet."""
    web3 = AsyncWeb3(AsyncHTTPProvider(devnets.bsc_rpc_url))
    yield web3
    await web3.provider.disconnect()
