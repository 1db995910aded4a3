"""The portal's security policy. Fixed values for now (not environment variables): the
settings helper owns gateway/config.py; these move there as a `portal` section later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final


@dataclass(frozen=True)
class PortalPolicy:
    lockout_attempts: int = 5          # wrong sign-ins allowed; the next attempt locks
    lockout: timedelta = timedelta(minutes=15)
    session_idle: timedelta = timedelta(minutes=30)
    session_max: timedelta = timedelta(hours=12)
    invite_ttl: timedelta = timedelta(hours=72)
    # A password-checked user with TOTP has this long to type the code.
    mfa_window: timedelta = timedelta(minutes=5)


POLICY: Final = PortalPolicy()
