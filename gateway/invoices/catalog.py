"""What this gateway can offer: each enabled asset with its decimals and token address, plus
the deposit targets (BNB Chain account xpub, Solana treasury). Built once per app from
settings; a missing or malformed address raises ConfigError naming the variable.

Addresses come from the settings only: the dev entry point (`python -m gateway`) fills unset
ones with the local devnets' (gateway.devnet.settings.with_devnet).
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.config import Settings
from gateway.errors import ConfigError
from gateway.payments.errors import PaymentUriError
from gateway.payments.references import check_pubkey
from gateway.payments.uri import checksum_address
from settlement.assets import ASSETS, Asset
from settlement.money import CurrencyRegistry, build_registry

# asset id -> (Settings attribute, environment variable), for every token asset of the
# registry (settlement.assets); the attribute is the variable in lower case.
TOKEN_SETTINGS: dict[str, tuple[str, str]] = {
    asset.id: (variable.lower(), variable)
    for asset in ASSETS.values()
    if (variable := asset.token_setting) is not None
}
TREASURY_SETTING = ("solana_treasury", "SOLANA_TREASURY")


def token_addresses(settings: Settings) -> dict[str, str]:
    """Every token asset's configured contract or mint (asset id -> address), offered or not."""
    return {asset_id: address for asset_id, (attribute, *_) in TOKEN_SETTINGS.items()
            if (address := getattr(settings, attribute)) is not None}


@dataclass(frozen=True)
class OfferedAsset:
    spec: Asset
    decimals: int
    token: str | None


@dataclass(frozen=True)
class Catalog:
    assets: dict[str, OfferedAsset]
    xpub: str
    treasury: str | None
    bsc_chain_id: int

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self.assets)


def _setting(settings: Settings, spec: tuple[str, str]) -> str:
    attribute, variable = spec
    value: str | None = getattr(settings, attribute)
    if value is None:
        raise ConfigError(f"{variable} must be set (needed by the enabled invoice assets)")
    return value


def _checked(chain: str, value: str, variable: str) -> str:
    try:
        return checksum_address(value) if chain == "bsc" else check_pubkey(value, variable)
    except PaymentUriError as exc:
        raise ConfigError(f"{variable} is invalid: {exc}") from exc


def _offered(settings: Settings, registry: CurrencyRegistry, asset_id: str) -> OfferedAsset:
    spec = ASSETS[asset_id]
    token = None
    if not spec.native:
        variable = TOKEN_SETTINGS[asset_id][1]
        token = _checked(spec.chain, _setting(settings, TOKEN_SETTINGS[asset_id]), variable)
    return OfferedAsset(spec, registry.get(spec.currency_code).decimals, token)


def build_catalog(settings: Settings) -> Catalog:
    # KZTE's decimals follow the configured mint (SOLANA_KZTE_DECIMALS); the rest are fixed.
    registry = build_registry(settings.kzte_decimals)
    assets = {asset_id: _offered(settings, registry, asset_id)
              for asset_id in settings.invoice_assets}
    treasury = None
    if any(a.spec.chain == "solana" for a in assets.values()):
        treasury = _checked("solana", _setting(settings, TREASURY_SETTING), TREASURY_SETTING[1])
    return Catalog(assets, settings.bsc_account_xpub, treasury, settings.bsc_chain_id)
