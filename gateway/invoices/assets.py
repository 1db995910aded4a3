"""The asset ids merchants choose from, and where each one's chain details come from.

| asset id   | chain  | pays in         | currency code  | token setting       |
|------------|--------|-----------------|----------------|---------------------|
| `BNB`      | bsc    | native BNB      | `bsc:BNB`      | (none)              |
| `USDT_BSC` | bsc    | BEP-20 USDT     | `bsc:USDT`     | `BSC_USDT_CONTRACT` |
| `USDC_BSC` | bsc    | BEP-20 USDC     | `bsc:USDC`     | `BSC_USDC_CONTRACT` |
| `SOL`      | solana | native SOL      | `solana:SOL`   | (none)              |
| `USDT_SOL` | solana | SPL USDT        | `solana:USDT`  | `SOLANA_USDT_MINT`  |
| `USDC_SOL` | solana | SPL USDC        | `solana:USDC`  | `SOLANA_USDC_MINT`  |
| `KZTE`     | solana | SPL KZTE        | `solana:KZTE`  | `SOLANA_KZTE_MINT`  |

The asset id is what the API takes (`assets: ["USDT_BSC", "SOL"]`); responses show the plain
`asset` symbol (`USDT`) next to `chain`. Decimals come from the settlement currency registry.
This module is pure (no I/O) so `gateway.config` can validate `INVOICE_ASSETS` with it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AssetSpec:
    id: str
    chain: str
    symbol: str
    native: bool

    @property
    def currency_code(self) -> str:
        return f"{self.chain}:{self.symbol}"


ASSETS: dict[str, AssetSpec] = {
    spec.id: spec
    for spec in (
        AssetSpec("BNB", "bsc", "BNB", native=True),
        AssetSpec("USDT_BSC", "bsc", "USDT", native=False),
        AssetSpec("USDC_BSC", "bsc", "USDC", native=False),
        AssetSpec("SOL", "solana", "SOL", native=True),
        AssetSpec("USDT_SOL", "solana", "USDT", native=False),
        AssetSpec("USDC_SOL", "solana", "USDC", native=False),
        AssetSpec("KZTE", "solana", "KZTE", native=False),
    )
}
ASSET_IDS: tuple[str, ...] = tuple(ASSETS)


def parse_asset_list(raw: str) -> tuple[str, ...]:
    """`"BNB, USDT_BSC"` -> ("BNB", "USDT_BSC"); unknown ids or an empty list raise ValueError."""
    ids = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    unknown = [asset for asset in ids if asset not in ASSETS]
    if unknown:
        raise ValueError(f"unknown asset(s) {', '.join(unknown)}; known: {', '.join(ASSET_IDS)}")
    if not ids:
        raise ValueError("at least one asset must be enabled")
    return ids
