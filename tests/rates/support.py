"""The rates domain as the app runs it: `setup(app)` on settings from an environment."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from aiohttp import web

from gateway.appkeys import SETTINGS
from gateway.config import Settings
from gateway.rates import RATE_BOOK, setup
from gateway.rates.book import RateBook
from tests.plugins.local_server import started


@asynccontextmanager
async def started_book(env: Mapping[str, str]) -> AsyncIterator[RateBook]:
    """The rate book of an app configured by `env`, between its startup and cleanup."""
    app = web.Application()
    app[SETTINGS] = Settings.from_env(env)
    setup(app)
    async with started(app):
        yield app[RATE_BOOK]
