"""Typed application keys shared across domains (`app[SETTINGS]`, `app[DB_POOL]`, ...).

Domains that own a resource declare their own AppKey next to it; the ones here are used by
every domain.
"""

from __future__ import annotations

import asyncpg
from aiohttp import web

from gateway.config import Settings

SETTINGS = web.AppKey("settings", Settings)
DB_POOL = web.AppKey("db_pool", asyncpg.Pool)
