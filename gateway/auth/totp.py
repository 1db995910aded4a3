"""TOTP second factor (RFC 6238 via pyotp: 6 digits, 30 s steps), for the console and the
portal alike.

A code is accepted for the current time step or one step either side (clock drift); the
caller stores the accepted step and refuses it, or any older step, the next time (each
code signs in at most once: the `USE_TOTP_STEP` query of each user table).
"""

from __future__ import annotations

import hmac
import time
from typing import Final

import pyotp

ISSUER: Final = "CryptoCity Pay"
DIGITS: Final = 6
STEP_SECONDS: Final = 30


def totp_step(secret: str, code: str | None,
              at: float | None = None) -> int | None:  # float-ok: a unix time
    """The time step `code` is valid for (now, or one step either side for clock drift);
    None when it matches none. White space in the code is ignored ("123 456")."""
    digits = "".join((code or "").split())
    if len(digits) != DIGITS or not digits.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    now = time.time() if at is None else at  # float-ok: seconds since the epoch
    for drift in (0, -1, 1):
        instant = now + drift * STEP_SECONDS
        if hmac.compare_digest(totp.at(instant), digits):
            return int(instant // STEP_SECONDS)
    return None


def new_secret(length: int = 32) -> str:
    """A random base32 secret (shown once, as the URI below and its QR code)."""
    return pyotp.random_base32(length)


def provisioning_uri(secret: str, account: str) -> str:
    """The otpauth:// URI authenticator apps scan."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)
