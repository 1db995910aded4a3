"""The one asset registry: every coin the gateway can quote, watch, book and report.

Everything that lists assets reads this table: the settlement currency registry
(`settlement.money.build_registry`), the invoice catalog and the `INVOICE_ASSETS` validator,
the rate defaults, the checkout page, the OpenAPI schema and `docs/assets.md` (its table is
printed by `python -m settlement.assets`; a test fails when it drifts). It lives in
`settlement` because settlement needs the currencies and decimals and must never import
`gateway`.

- `id` is what the merchant API takes (`assets: ["USDT_BSC", "SOL"]`); responses show the
  plain `symbol` next to `chain`.
- `currency_code` (`chain:symbol`) names the asset in the ledger.
- `decimals` is fixed by the chain or the well-known token, except where `decimals_setting`
  names the variable that configures it (KZTE follows its mint: `SOLANA_KZTE_DECIMALS`).
- `token_setting` is the variable holding the BEP-20 contract or SPL mint the gateway accepts
  (None for a chain's native coin); `mainnet_token` is the well-known mainnet address, for
  reference only: the setting is never filled from it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chain:
    id: str
    name: str  # shown to shoppers
    token_standard: str  # BEP-20, SPL


@dataclass(frozen=True)
class Asset:
    id: str
    chain: str
    symbol: str
    decimals: int
    native: bool
    token_setting: str | None = None
    mainnet_token: str | None = None
    decimals_setting: str | None = None

    @property
    def volatile(self) -> bool:
        """The chains' own coins (BNB, SOL) float against KZT; the tokens here are pegged
        (USDT, USDC to the dollar, KZTE to the tenge). A quote in a volatile coin is a free
        option against the operator the longer it is held, so invoices offering one get a
        shorter `expires_in` cap (INVOICE_VOLATILE_MAX_EXPIRES_IN)."""
        return self.native

    @property
    def currency_code(self) -> str:
        return f"{self.chain}:{self.symbol}"

    @property
    def pays_in(self) -> str:
        """What the shopper sends: "native BNB", "BEP-20 USDT", "SPL KZTE"."""
        kind = "native" if self.native else CHAINS[self.chain].token_standard
        return f"{kind} {self.symbol}"

    def decimals_with(self, configured: int) -> int:
        """Decimals given the configured value of `decimals_setting` (ignored when fixed)."""
        return configured if self.decimals_setting is not None else self.decimals


CHAINS: dict[str, Chain] = {
    chain.id: chain
    for chain in (Chain("bsc", "BNB Chain", "BEP-20"), Chain("solana", "Solana", "SPL"))
}
CHAIN_IDS: tuple[str, ...] = tuple(CHAINS)

# Fiat the merchants price in and are paid out in; not a payable asset.
FIAT_CODE = "KZT"
FIAT_DECIMALS = 2

KZTE_DECIMALS_SETTING = "SOLANA_KZTE_DECIMALS"

ASSETS: dict[str, Asset] = {
    asset.id: asset
    for asset in (
        Asset("BNB", "bsc", "BNB", 18, native=True),
        Asset("USDT_BSC", "bsc", "USDT", 18, native=False,
              token_setting="BSC_USDT_CONTRACT",
              mainnet_token="0x55d398326f99059fF775485246999027B3197955"),
        Asset("USDC_BSC", "bsc", "USDC", 18, native=False,
              token_setting="BSC_USDC_CONTRACT",
              mainnet_token="0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d"),
        Asset("SOL", "solana", "SOL", 9, native=True),
        Asset("USDT_SOL", "solana", "USDT", 6, native=False,
              token_setting="SOLANA_USDT_MINT",
              mainnet_token="Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"),
        Asset("USDC_SOL", "solana", "USDC", 6, native=False,
              token_setting="SOLANA_USDC_MINT",
              mainnet_token="EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"),
        # Pegged 1:1 to KZT; no mainnet mint is well known, so it is always configured.
        Asset("KZTE", "solana", "KZTE", 2, native=False,
              token_setting="SOLANA_KZTE_MINT", decimals_setting=KZTE_DECIMALS_SETTING),
    )
}
ASSET_IDS: tuple[str, ...] = tuple(ASSETS)
# Rates are per symbol: the same coin on two chains shares one KZT rate.
ASSET_SYMBOLS: tuple[str, ...] = tuple(dict.fromkeys(a.symbol for a in ASSETS.values()))
KZTE = ASSETS["KZTE"]


def by_currency_code(code: str) -> Asset | None:
    """The asset booked under `code` (`bsc:USDT` -> USDT_BSC), None for KZT or unknown codes."""
    return _BY_CODE.get(code)


def on_chain(chain: str) -> tuple[Asset, ...]:
    return tuple(asset for asset in ASSETS.values() if asset.chain == chain)


def native_of(chain: str) -> Asset:
    """The chain's own coin (BNB on bsc, SOL on solana)."""
    return next(asset for asset in on_chain(chain) if asset.native)


def parse_asset_list(raw: str) -> tuple[str, ...]:
    """`"BNB, USDT_BSC"` -> ("BNB", "USDT_BSC"); unknown ids or an empty list raise ValueError."""
    ids = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    unknown = [asset for asset in ids if asset not in ASSETS]
    if unknown:
        raise ValueError(f"unknown asset(s) {', '.join(unknown)}; known: {', '.join(ASSET_IDS)}")
    if not ids:
        raise ValueError("at least one asset must be enabled")
    return ids


_BY_CODE = {asset.currency_code: asset for asset in ASSETS.values()}


def markdown_table() -> str:
    """The table of `docs/assets.md` (between its generated-table markers)."""
    lines = [
        "| asset id | chain | pays in | currency code | decimals | token setting | mainnet token |",
        "|---|---|---|---|---|---|---|",
    ]
    for a in ASSETS.values():
        decimals = (f"`{a.decimals_setting}` (default {a.decimals})"
                    if a.decimals_setting else str(a.decimals))
        setting = f"`{a.token_setting}`" if a.token_setting else "(none)"
        mainnet = f"`{a.mainnet_token}`" if a.mainnet_token else "(none)"
        lines.append(f"| `{a.id}` | {CHAINS[a.chain].name} (`{a.chain}`) | {a.pays_in} | "
                     f"`{a.currency_code}` | {decimals} | {setting} | {mainnet} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
