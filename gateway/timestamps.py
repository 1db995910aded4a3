"""RFC 3339 UTC timestamps, the one format of every time in a `/v1` object or event."""

from __future__ import annotations

from datetime import UTC, datetime


def timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
