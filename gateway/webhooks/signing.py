"""The webhook signature: `CryptoCity-Signature: t=<unix>,v1=<hex HMAC-SHA256>`.

The signed message is `"<t>.<raw body>"` with the endpoint's secret as the HMAC key, so a
receiver verifies the exact bytes it got (no JSON re-serialisation) and can refuse replays by
bounding `now - t`. Several `v1=` values may appear (e.g. during a secret roll); a receiver
accepts the request when any of them matches.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from gateway.merchants.ids import random_token

SIGNATURE_HEADER: Final = "CryptoCity-Signature"
SECRET_PREFIX: Final = "whsec_"
DEFAULT_TOLERANCE: Final = 300


def new_secret() -> str:
    """`whsec_` + 32 base62 characters (~190 bits)."""
    return SECRET_PREFIX + random_token(32)


def compute(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={compute(secret, timestamp, body)}"


def parse_header(value: str) -> tuple[int | None, list[str]]:
    """(timestamp, v1 signatures) from a header value; unknown schemes are ignored."""
    timestamp: int | None = None
    signatures: list[str] = []
    for item in value.split(","):
        key, _, val = item.strip().partition("=")
        if key == "t" and val.isdigit():
            timestamp = int(val)
        elif key == "v1" and val:
            signatures.append(val)
    return timestamp, signatures


def verify(secret: str, value: str, body: bytes, *, now: int,
           tolerance: int = DEFAULT_TOLERANCE) -> bool:
    """True when `value` carries a valid v1 signature of `body` made within `tolerance` s."""
    timestamp, signatures = parse_header(value)
    if timestamp is None or abs(now - timestamp) > tolerance:
        return False
    expected = compute(secret, timestamp, body)
    return any(hmac.compare_digest(expected, sig) for sig in signatures)
