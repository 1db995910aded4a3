"""Offered assets: addresses from the settings only (the dev entry fills in the devnet's),
explicit and validated addresses in prod."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gateway.config import Settings
from gateway.devnet import bsc
from gateway.devnet.settings import with_devnet
from gateway.devnet.solana import constants as sol
from gateway.errors import ConfigError
from gateway.invoices.catalog import build_catalog


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
