"""Offered assets: addresses from the settings only (the dev entry fills in the devnet's),
explicit and validated addresses in prod."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

import pytest

from gateway.config import Settings
from gateway.devnet import bsc
from gateway.devnet.settings import with_devnet
from gateway.devnet.solana import constants as sol
from gateway.errors import ConfigError
from gateway.invoices.catalog import build_catalog
from gateway.invoices.quotes import LockedQuote, Targets, UriTemplates
from gateway.payments.uri import parse_eip681
from gateway.rates import Quote


def test_dev_defaults_are_the_devnet_constants() -> None:
    catalog = build_catalog(with_devnet(Settings()))
    assert catalog.treasury == sol.TREASURY
    assert catalog.assets["USDT_BSC"].token == bsc.USDT_ADDRESS
    assert catalog.assets["KZTE"].token == sol.KZTE_MINT
    assert (catalog.assets["BNB"].decimals, catalog.assets["SOL"].decimals) == (18, 9)
    assert catalog.assets["USDC_SOL"].decimals == 6


def test_production_code_has_no_devnet_fallback() -> None:
    # Without the dev entry point's injection even dev mode names the missing variable.
    with pytest.raises(ConfigError, match="BSC_USDT_CONTRACT"):
        build_catalog(Settings())
    assert with_devnet(Settings(env="prod")) == Settings(env="prod")


def test_kzte_decimals_follow_the_setting() -> None:
    assert build_catalog(with_devnet(Settings(kzte_decimals=6))).assets["KZTE"].decimals == 6


def test_prod_needs_explicit_addresses() -> None:
    with pytest.raises(ConfigError, match="BSC_USDT_CONTRACT"):
        build_catalog(Settings(env="prod"))
    only_bnb = build_catalog(Settings(env="prod", invoice_assets=("BNB",)))
    assert only_bnb.treasury is None and list(only_bnb.assets) == ["BNB"]


def test_malformed_addresses_name_the_variable() -> None:
    with pytest.raises(ConfigError, match="SOLANA_TREASURY"):
        build_catalog(replace(with_devnet(Settings()), solana_treasury="not-a-key"))
    with pytest.raises(ConfigError, match="BSC_USDC_CONTRACT"):
        build_catalog(replace(with_devnet(Settings()), bsc_usdc_contract="0x1234"))


def test_invoice_assets_setting_is_validated() -> None:
    with pytest.raises(ConfigError, match="INVOICE_ASSETS"):
        Settings.from_env({"INVOICE_ASSETS": "BNB,DOGE"})
    assert Settings.from_env({"INVOICE_ASSETS": "SOL, KZTE"}).invoice_assets == ("SOL", "KZTE")


def test_prod_requires_pepper_and_xpub() -> None:
    with pytest.raises(ConfigError, match="API_KEY_PEPPER"):
        Settings.from_env({"GATEWAY_ENV": "prod", "GATEWAY_PUBLIC_URL": "https://pay.example",
                           "BSC_ACCOUNT_XPUB": Settings().bsc_account_xpub})


@pytest.mark.parametrize(("chain_id", "at"), [(None, "@56"), (97, "@97"), (31337, "@31337")])
def test_bnb_chain_uris_carry_the_configured_chain_id(chain_id: int | None, at: str) -> None:
    """EIP-681 URIs said @56 whatever chain the gateway watched: on BSC testnet (97) a wallet
    would have paid on mainnet, where nobody looks."""
    settings = with_devnet(Settings() if chain_id is None else Settings(bsc_chain_id=chain_id))
    catalog = build_catalog(settings)
    targets = Targets(bsc_address=bsc.USDT_ADDRESS, solana_recipient=None,
                      solana_reference=None, label="Shop", message=None)
    uris = UriTemplates(catalog)
    for asset_id in ("BNB", "USDT_BSC"):
        locked = LockedQuote(catalog.assets[asset_id], cast(Quote, None), 10**18)
        request = parse_eip681(uris.uri(locked, targets, ""))
        assert (request.chain_id, request.amount) == (int(at[1:]), 10**18)


def test_chain_id_setting_is_validated() -> None:
    assert Settings.from_env({"BSC_CHAIN_ID": "97"}).bsc_chain_id == 97
    with pytest.raises(ConfigError, match="BSC_CHAIN_ID"):
        Settings.from_env({"BSC_CHAIN_ID": "0"})
