"""Random public identifiers (`mch_…`, `inv_…`, `key_…`) and unguessable tokens."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def random_token(length: int) -> str:
    """`length` base62 characters from the OS CSPRNG (~5.95 bits of entropy each)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_id(prefix: str, length: int = 20) -> str:
    """`<prefix>_<random>`: 20 base62 characters are ~119 bits, unguessable and collision-free."""
    return f"{prefix}_{random_token(length)}"
