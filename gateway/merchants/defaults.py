"""A merchant's own invoice terms (migration 0083); None keeps the zone default."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True)
class InvoiceDefaults:
    accepted_assets: tuple[str, ...] | None = None
    expires_in: int | None = None            # seconds
    tolerance_bps: int | None = None
    tolerance_tiyn: int | None = None
    late_accept_window: int | None = None    # seconds

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> InvoiceDefaults:
        assets = row["accepted_assets"]
        return cls(None if assets is None else tuple(assets), row["default_expires_in"],
                   row["tolerance_bps"], row["tolerance_tiyn"], row["late_accept_window"])


ZONE_DEFAULTS = InvoiceDefaults()
