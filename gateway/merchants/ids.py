"""Random public identifiers (`mch_…`, `inv_…`, `key_…`) and unguessable tokens."""

from __future__ import annotations

import secrets
import string

_ALPHABET = (string.ascii_letters + string.digits).encode()
# Rejection sampling without bias: bytes 0..247 (4 x 62) map onto the alphabet, 248..255 are
# dropped. bytes.translate does it in C: ids are made on every invoice-create request.
_KEEP = 4 * len(_ALPHABET)
_TABLE = bytes(_ALPHABET[b % len(_ALPHABET)] if b < _KEEP else 0 for b in range(256))
_DROP = bytes(range(_KEEP, 256))


def random_token(length: int) -> str:
    """`length` base62 characters from the OS CSPRNG (~5.95 bits of entropy each)."""
    out = b""
    while len(out) < length:
        out += secrets.token_bytes(length + 8).translate(_TABLE, _DROP)
    return out[:length].decode()


def new_id(prefix: str, length: int = 20) -> str:
    """`<prefix>_<random>`: 20 base62 characters are ~119 bits, unguessable and collision-free."""
    return f"{prefix}_{random_token(length)}"
