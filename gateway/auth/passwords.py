"""argon2id password hashes (argon2-cffi defaults, RFC 9106's low-memory profile).

Hashing and verifying run in a worker thread because each takes ~0.1 s of CPU. Checking a
password of an unknown, disabled or locked account still verifies against a dummy hash, so
the answer time does not tell which accounts exist or are locked.
"""

from __future__ import annotations

import asyncio
import secrets
from functools import lru_cache
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

HASHER: Final = PasswordHasher()
MIN_PASSWORD: Final = 10
# argon2 would take any length; a cap keeps a megabyte "password" from being a cheap DoS.
MAX_PASSWORD: Final = 256


def acceptable(password: str) -> bool:
    return MIN_PASSWORD <= len(password) <= MAX_PASSWORD


async def hash_password(password: str) -> str:
    """The PHC string of `password` (the caller checked `acceptable`)."""
    return await asyncio.to_thread(HASHER.hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(16))


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; a None hash verifies a dummy (same cost) and fails."""
    if len(password) > MAX_PASSWORD:
        return False
    if password_hash is None:
        await asyncio.to_thread(_verify, await asyncio.to_thread(_dummy_hash), password)
        return False
    return await asyncio.to_thread(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return HASHER.check_needs_rehash(password_hash)
