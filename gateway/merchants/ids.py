"""Public identifiers (`mch_…`, `inv_…`, `key_…`, `evt_…`) and unguessable tokens."""

from __future__ import annotations

import re
import secrets
import string
import time

# The invoices table's CHECK (gateway/db/migrations/0011_invoices.sql): a path id that fails
# it cannot exist, so routes answer 404 without a query.
INVOICE_ID = re.compile(r"^inv_[A-Za-z0-9]{8,64}$")

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


_SORTED = string.digits + string.ascii_uppercase + string.ascii_lowercase  # ASCII order
_TIME_CHARS = 7  # 62^7 ms is ~111 years from the epoch


def _time_prefix(millis: int) -> str:
    chars = []
    for _ in range(_TIME_CHARS):
        millis, digit = divmod(millis, 62)
        chars.append(_SORTED[digit])
    return "".join(reversed(chars))


def new_id(prefix: str, length: int = 20) -> str:
    """`<prefix>_` + 7 chars of creation time (ms) + 13 random base62 chars (~77 bits).

    The time prefix makes ids of rows created together sort together, so primary-key
    inserts land on the right edge of the B-tree instead of a random page (fewer page reads
    and full-page WAL images once tables outgrow memory). The random part keeps ids
    unguessable: knowing the millisecond still leaves 2^77 candidates.
    """
    stamp = _time_prefix(time.time_ns() // 1_000_000)
    return f"{prefix}_{stamp}{random_token(length - _TIME_CHARS)}"
