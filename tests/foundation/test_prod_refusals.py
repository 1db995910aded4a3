"""GATEWAY_ENV=prod refuses unsafe configuration at start, one line naming the variable."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from gateway.config import (
    DEV_API_KEY_PEPPER,
    DEV_WEBHOOK_SECRET_KEY,
    DEVNET_SOLANA_TREASURY,
    Settings,
)
from gateway.db.pool import redacted
from gateway.errors import ConfigError
from gateway.merchants.demo import seed_demo
from gateway.payments.hd import DEV_ACCOUNT_XPUB, parse_xpub, serialize_xpub

OWN_XPUB = serialize_xpub(dataclasses.replace(parse_xpub(DEV_ACCOUNT_XPUB), chain_code=b"\1" * 32))
PROD: dict[str, str] = {
    "GATEWAY_ENV": "prod",
    "GATEWAY_PUBLIC_URL": "https://pay.example.kz",
    "API_KEY_PEPPER": "an operator secret",
    "BSC_ACCOUNT_XPUB": OWN_XPUB,
    "SETTLEMENT_DEBTOR_NAME": "Zone Operator LLP",
    "SETTLEMENT_DEBTOR_IBAN": "KZ86125KZT5004100100",
    "SETTLEMENT_DEBTOR_BIC": "HSBKKZKX",
    "SETTLEMENT_DEBTOR_BIN": "990340000014",
    "WEBHOOK_SECRET_KEY": "b3BlcmF0b3Itb3duLXdlYmhvb2stc2VjcmV0LWtleSE=",
}


def test_a_complete_prod_configuration_starts() -> None:
    settings = Settings.from_env(PROD)
    assert settings.public_url == "https://pay.example.kz" and not settings.dev


@pytest.mark.parametrize(("change", "message"), [
    ({"GATEWAY_PUBLIC_URL": None}, "GATEWAY_PUBLIC_URL must be set when GATEWAY_ENV=prod"),
    ({"GATEWAY_PUBLIC_URL": "http://pay.example.kz"},
     "GATEWAY_PUBLIC_URL must be an https URL when GATEWAY_ENV=prod"),
    ({"API_KEY_PEPPER": None}, "API_KEY_PEPPER must be set when GATEWAY_ENV=prod"),
    ({"API_KEY_PEPPER": DEV_API_KEY_PEPPER}, "API_KEY_PEPPER is a public dev value"),
    ({"BSC_ACCOUNT_XPUB": DEV_ACCOUNT_XPUB}, "BSC_ACCOUNT_XPUB is a public dev value"),
    ({"SOLANA_TREASURY": DEVNET_SOLANA_TREASURY}, "SOLANA_TREASURY is a public dev value"),
    ({"SETTLEMENT_DEBTOR_IBAN": None}, "SETTLEMENT_DEBTOR_IBAN must be set"),
    ({"WEBHOOK_SECRET_KEY": None}, "WEBHOOK_SECRET_KEY must be set when GATEWAY_ENV=prod"),
    ({"WEBHOOK_SECRET_KEY": DEV_WEBHOOK_SECRET_KEY}, "WEBHOOK_SECRET_KEY is a public dev value"),
    ({"WEBHOOK_SECRET_KEY": "c2hvcnQ="}, "WEBHOOK_SECRET_KEY must be 32 bytes in base64"),
])
def test_unsafe_prod_settings_are_refused(change: dict[str, str | None], message: str) -> None:
    environ = {k: v for k, v in {**PROD, **change}.items() if v is not None}
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(environ)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


@pytest.mark.slow  # a subprocess per variable
def test_the_cli_ends_with_one_line_naming_the_variable() -> None:
    environ = {k: v for k, v in PROD.items() if k != "GATEWAY_PUBLIC_URL"}
    proc = subprocess.run([sys.executable, "-m", "gateway.cli", "db", "url"], env=environ,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("configuration error: GATEWAY_PUBLIC_URL must be set when "
                                   "GATEWAY_ENV=prod")


async def test_prod_never_seeds_the_demo_merchant() -> None:
    # Returns before touching the database: no demo merchant, no key printed.
    lines = await seed_demo(Settings.from_env(PROD))
    assert lines == ["demo merchant: not created (GATEWAY_ENV=prod)"]


def test_the_banner_database_url_has_no_password() -> None:
    assert redacted("postgresql://gw:s3cret@db:5432/pay") == "postgresql://gw:***@db:5432/pay"
    assert redacted("postgresql:///pay?host=/tmp/run") == "postgresql:///pay?host=/tmp/run"
