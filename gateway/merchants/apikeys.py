"""API keys: `ccp_live_<40 base62>` (~238 bits), shown once, stored as HMAC-SHA256(pepper, key).
Test-mode keys are `ccp_test_<40 base62>`: their invoices say `livemode: false` and are never
booked (migration 0082).

A slow password hash (argon2) buys nothing for a key with this much entropy: nobody can
enumerate 2^238 candidates, so a keyed fast hash is as safe and keeps authentication cheap.
The pepper (`API_KEY_PEPPER`) lives outside the database, so a leaked `api_keys` table alone
does not even allow checking a guessed key.

`ApiKeyCache` is the hot-path authenticator: a process-local map from key hash to principal
with a short TTL (`API_KEY_CACHE_TTL`, default 5 s). A revoked key or a suspended merchant is
therefore honoured by every process within that TTL without any cross-process signalling.
Unknown keys are remembered in a separate, smaller negative cache, so a client hammering with
one bad key costs one query per TTL, and a flood of distinct unknown keys evicts only other
unknown keys: live keys live in a cache that only live keys ever enter. Both caches are
bounded `cachetools.TTLCache`s. Failed lookups are also throttled per client address
(`gateway.http.auth`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

import asyncpg
from cachetools import TTLCache

from gateway.merchants import queries as q
from gateway.merchants.defaults import ZONE_DEFAULTS, InvoiceDefaults
from gateway.merchants.ids import random_token
from settlement.db import Conn

KEY_PREFIX = "ccp_live_"
TEST_KEY_PREFIX = "ccp_test_"
KEY_RANDOM_CHARS = 40
_KEY_FORMAT = re.compile(rf"^ccp_(live|test)_[A-Za-z0-9]{{{KEY_RANDOM_CHARS}}}$")
_VISIBLE_CHARS = 4


@dataclass(frozen=True)
class Principal:
    """Who is calling: the API key and the merchant it is scoped to."""

    key_id: str
    merchant_id: str
    merchant_name: str
    merchant_status: str
    # Hosts redirect_url may name (gateway.invoices.redirects); None: none configured.
    redirect_domains: tuple[str, ...] | None = None
    livemode: bool = True  # False for a ccp_test_ key
    invoice_defaults: InvoiceDefaults = ZONE_DEFAULTS

    @property
    def active(self) -> bool:
        return self.merchant_status == "active"


@dataclass(frozen=True)
class NewKey:
    """A freshly generated key: `secret` is shown once and never stored."""

    secret: str
    key_hash: bytes
    prefix: str
    last4: str
    livemode: bool = True


def hash_key(pepper: str, secret: str) -> bytes:
    return hmac.new(pepper.encode(), secret.encode(), hashlib.sha256).digest()


def generate_key(pepper: str, *, livemode: bool = True) -> NewKey:
    prefix = KEY_PREFIX if livemode else TEST_KEY_PREFIX
    secret = prefix + random_token(KEY_RANDOM_CHARS)
    return NewKey(
        secret=secret,
        key_hash=hash_key(pepper, secret),
        prefix=secret[: len(prefix) + _VISIBLE_CHARS],
        last4=secret[-_VISIBLE_CHARS:],
        livemode=livemode,
    )


def well_formed(secret: str) -> bool:
    """Cheap syntactic check so garbage never reaches the hash or the database."""
    return bool(_KEY_FORMAT.match(secret))


class ApiKeyCache:
    """Key hash -> Principal for live keys; unknown/revoked hashes in a cache of their own."""

    def __init__(self, pepper: str, ttl: float,  # float-ok
                 max_entries: int = 10_000, max_unknown: int = 2_000) -> None:
        self.pepper = pepper
        self.ttl = ttl
        self._live: TTLCache[bytes, Principal] = TTLCache(maxsize=max_entries, ttl=ttl)
        self._unknown: TTLCache[bytes, bool] = TTLCache(maxsize=max_unknown, ttl=ttl)

    async def authenticate(self, pool: asyncpg.Pool, secret: str) -> Principal | None:
        """The principal of a live key, None when the key is unknown or revoked.

        A cache hit touches neither the pool nor the database.
        """
        if not well_formed(secret):
            return None
        digest = hash_key(self.pepper, secret)
        found = self._live.get(digest)
        if found is not None or digest in self._unknown:
            return found
        async with pool.acquire() as conn:
            principal = await self._load(conn, digest)
        if principal is None:
            self._unknown[digest] = True
        else:
            self._live[digest] = principal
        return principal

    async def _load(self, conn: Conn, digest: bytes) -> Principal | None:
        row = await q.select_principal(conn, digest)
        if row is None:
            return None
        return Principal(
            key_id=row["key_id"],
            merchant_id=row["merchant_id"],
            merchant_name=row["merchant_name"],
            merchant_status=row["merchant_status"],
            redirect_domains=(None if row["redirect_domains"] is None
                              else tuple(row["redirect_domains"])),
            livemode=row["livemode"],
            invoice_defaults=InvoiceDefaults.from_row(row),
        )

    def cached_principal(self, secret: str) -> Principal | None:
        """The principal of a live key already in the cache; never touches the database."""
        if not well_formed(secret):
            return None
        return self._live.get(hash_key(self.pepper, secret))

    def clear(self) -> None:
        self._live.clear()
        self._unknown.clear()
