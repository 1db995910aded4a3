"""Admin console settings (docs/configuration.md "Admin console"), one nested value of Settings.

Read by `gateway.config.Settings.from_env` through `admin_settings(reader)`. Like the
settlement settings, this module imports nothing from `gateway.config` at run time (it is
imported by it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.config import EnvReader


@dataclass(frozen=True)
class AdminSettings:
    lockout_attempts: int = 5
    lockout_minutes: int = 15
    session_idle_minutes: int = 30
    session_max_hours: int = 12

    @property
    def lockout(self) -> timedelta:
        return timedelta(minutes=self.lockout_minutes)

    @property
    def session_idle(self) -> timedelta:
        return timedelta(minutes=self.session_idle_minutes)

    @property
    def session_max(self) -> timedelta:
        return timedelta(hours=self.session_max_hours)


def admin_settings(r: EnvReader) -> AdminSettings:
    """All ADMIN_* variables; errors name the variable."""
    return AdminSettings(
        lockout_attempts=r.int("ADMIN_LOCKOUT_ATTEMPTS", 5, lo=1, hi=100),
        lockout_minutes=r.int("ADMIN_LOCKOUT_MINUTES", 15, lo=1, hi=7 * 24 * 60),
        session_idle_minutes=r.int("ADMIN_SESSION_IDLE_MINUTES", 30, lo=1, hi=24 * 60),
        session_max_hours=r.int("ADMIN_SESSION_MAX_HOURS", 12, lo=1, hi=7 * 24),
    )
