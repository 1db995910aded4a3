"""Random bearer tokens (session cookies, CSRF tokens, invite links): only their SHA-256 is
stored, and comparisons are constant-time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

TOKEN_BYTES: Final = 32


def new_token() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; an absent or short token never matches."""
    if not expected or not given or len(expected) < TOKEN_BYTES:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
