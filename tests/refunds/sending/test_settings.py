"""Refund sending settings: devnet hot wallets under `make run`, offline by default in prod,
the public devnet keys refused there, and a missing key or address stopping the start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from solders.keypair import Keypair

from gateway.config import DEV_REFUND_BSC_KEY, DEV_REFUND_SOLANA_KEY, Settings
from gateway.errors import ConfigError
from gateway.refunds.sending.signers import OfflineSigner, signer_for
from gateway.refunds.sending.wiring import signers
from tests.foundation.test_prod_refusals import PROD


def test_dev_signs_hot_with_the_devnet_keys() -> None:
    settings = Settings.from_env({"GATEWAY_ENV": "dev"})
    assert settings.refund_sending.sender and settings.refund_sending.signer == "hot"
    keys = signers(settings)
    # sha256("cryptocity-pay/refund-wallet/<chain>") seeds: public, so prod refuses them.
    assert keys["bsc"].address == "0x541F2B80ea4A55a00f3C669929467Ea7ce2118D1"
    assert keys["solana"].address == "8qgPiLt7bJtyita5aRYDVDxZkNohpzRAWKCAG2f4jUGc"


def test_prod_defaults_to_offline_and_no_sender() -> None:
    sending = Settings.from_env(PROD).refund_sending
    assert sending.signer == "offline" and not sending.sender and sending.bsc_key is None


@pytest.mark.parametrize(("variable", "value"), [
    ("REFUND_BSC_KEY", DEV_REFUND_BSC_KEY), ("REFUND_SOLANA_KEY", DEV_REFUND_SOLANA_KEY)])
def test_prod_refuses_the_devnet_keys(variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"{variable} is a public dev value"):
        Settings.from_env({**PROD, variable: value})


def test_offline_needs_the_signing_addresses() -> None:
    settings = Settings.from_env({**PROD, "GATEWAY_REFUND_SENDER": "on"})
    with pytest.raises(ConfigError, match="REFUND_BSC_ADDRESS must be set"):
        signers(settings)
    solana = str(Keypair().pubkey())
    settings = Settings.from_env({**PROD, "REFUND_BSC_ADDRESS": "0x" + "ab" * 20,
                                  "REFUND_SOLANA_ADDRESS": solana})
    keys = signers(settings)
    assert isinstance(keys["bsc"], OfflineSigner) and keys["solana"].address == solana
    assert keys["bsc"].sign(b"unsigned") is None


def test_key_files_win_over_the_environment(tmp_path: Path) -> None:
    keypair = Keypair()
    key_file = tmp_path / "id.json"
    key_file.write_text(json.dumps(list(bytes(keypair))))  # solana-keygen's format
    settings = Settings.from_env({"GATEWAY_ENV": "dev",
                                  "REFUND_SOLANA_KEY_FILE": str(key_file)})
    assert signer_for("solana", settings.refund_sending).address == str(keypair.pubkey())
    missing = Settings.from_env({"GATEWAY_ENV": "dev",
                                 "REFUND_BSC_KEY_FILE": str(tmp_path / "absent")})
    with pytest.raises(ConfigError, match="REFUND_BSC_KEY_FILE"):
        signers(missing)
