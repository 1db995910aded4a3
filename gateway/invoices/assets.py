"""Which assets an invoice may offer: the `INVOICE_ASSETS` validator over the one registry.

The asset table itself (ids, chains, symbols, decimals, token settings) is
`settlement.assets`; see docs/assets.md. This module is pure (no I/O) so the settings reader
can validate `INVOICE_ASSETS` with it.
"""

from __future__ import annotations

from settlement.assets import ASSET_IDS, ASSETS

# ASSETS and ASSET_IDS are re-exported for the modules that read the table from here.
__all__ = ["ASSETS", "ASSET_IDS", "parse_asset_list"]


def parse_asset_list(raw: str) -> tuple[str, ...]:
    """`"BNB, USDT_BSC"` -> ("BNB", "USDT_BSC"); unknown ids or an empty list raise ValueError."""
    ids = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    unknown = [asset for asset in ids if asset not in ASSETS]
    if unknown:
        raise ValueError(f"unknown asset(s) {', '.join(unknown)}; known: {', '.join(ASSET_IDS)}")
    if not ids:
        raise ValueError("at least one asset must be enabled")
    return ids
