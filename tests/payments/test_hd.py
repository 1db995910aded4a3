"""BIP-44 deposit addresses from the account xpub, checked against eth-account's HD wallet."""

from __future__ import annotations

import base58
import pytest
from eth_account import Account
from eth_utils.address import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from gateway.payments.eip55 import checksum_bytes
from gateway.payments.errors import DerivationError, InvalidExtendedKey
from gateway.payments.hd import (
    DEV_ACCOUNT_XPUB,
    MAX_INDEX,
    derive_address,
    parse_xpub,
    validate_xpub,
)
from gateway.payments.uri import checksum_address
from tests.payments.bip32_private import TEST_MNEMONIC, account_xpub


def _reversion(xpub: str, version_hex: str) -> str:
    raw = base58.b58decode_check(xpub)
    encoded: str = base58.b58encode_check(bytes.fromhex(version_hex) + raw[4:]).decode()
    return encoded


def test_dev_xpub_is_the_test_mnemonic_account_key() -> None:
    assert account_xpub(TEST_MNEMONIC) == DEV_ACCOUNT_XPUB


def test_index_zero_is_the_published_vector() -> None:
    assert derive_address(DEV_ACCOUNT_XPUB, 0) == "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"


@pytest.mark.parametrize("index", [0, 1, 2, 19, 1000, MAX_INDEX])
def test_matches_eth_account_private_derivation(index: int) -> None:
    Account.enable_unaudited_hdwallet_features()
    expected = Account.from_mnemonic(TEST_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    assert derive_address(DEV_ACCOUNT_XPUB, index) == expected.address


def test_other_account_xpub_derives_its_own_addresses() -> None:
    Account.enable_unaudited_hdwallet_features()
    second = account_xpub(TEST_MNEMONIC, (44, 60, 1))
    expected = Account.from_mnemonic(TEST_MNEMONIC, account_path="m/44'/60'/1'/0/5")
    assert derive_address(second, 5) == expected.address


def test_surrounding_whitespace_is_ignored() -> None:
    assert validate_xpub(f"  {DEV_ACCOUNT_XPUB}\n") == DEV_ACCOUNT_XPUB
    assert derive_address(f" {DEV_ACCOUNT_XPUB} ", 0) == derive_address(DEV_ACCOUNT_XPUB, 0)


def test_bad_checksum_is_refused() -> None:
    last = DEV_ACCOUNT_XPUB[-1]
    typo = DEV_ACCOUNT_XPUB[:-1] + ("a" if last != "a" else "b")
    with pytest.raises(InvalidExtendedKey, match="checksum"):
        parse_xpub(typo)


def test_private_key_is_refused_with_a_clear_message() -> None:
    xprv = _reversion(DEV_ACCOUNT_XPUB, "0488ade4")
    with pytest.raises(InvalidExtendedKey, match="private extended key"):
        derive_address(xprv, 0)


@pytest.mark.parametrize(
    ("version", "needle"), [("043587cf", "testnet"), ("04b24746", "zpub"), ("01020304", "unknown")]
)
def test_wrong_versions_are_refused(version: str, needle: str) -> None:
    with pytest.raises(InvalidExtendedKey, match=needle):
        parse_xpub(_reversion(DEV_ACCOUNT_XPUB, version))


def test_non_account_depth_is_refused() -> None:
    with pytest.raises(InvalidExtendedKey, match="depth 2"):
        parse_xpub(account_xpub(TEST_MNEMONIC, (44, 60)))


def test_wrong_length_and_garbage_are_refused() -> None:
    short: str = base58.b58encode_check(b"\x04\x88\xb2\x1e" + b"\x00" * 10).decode()
    for bad in (short, "", "not base58 0OIl", "xpub"):
        with pytest.raises(InvalidExtendedKey):
            parse_xpub(bad)


def test_invalid_curve_point_is_refused() -> None:
    raw = base58.b58decode_check(DEV_ACCOUNT_XPUB)
    broken = raw[:45] + b"\x02" + b"\xff" * 32  # x >= field prime: not on the curve
    with pytest.raises(InvalidExtendedKey, match="secp256k1"):
        parse_xpub(base58.b58encode_check(broken).decode())


@pytest.mark.parametrize("index", [-1, MAX_INDEX + 1, 2**32])
def test_index_out_of_range(index: int) -> None:
    with pytest.raises(DerivationError, match="between 0 and"):
        derive_address(DEV_ACCOUNT_XPUB, index)


@pytest.mark.parametrize("index", [True, "1", 1.0])
def test_index_must_be_an_int(index: object) -> None:
    with pytest.raises(DerivationError, match="must be an int"):
        derive_address(DEV_ACCOUNT_XPUB, index)  # type: ignore[arg-type]


@given(st.binary(min_size=20, max_size=20))
def test_fast_eip55_equals_eth_utils(raw: bytes) -> None:
    assert checksum_bytes(raw) == to_checksum_address(raw.hex())
    assert checksum_address("0x" + raw.hex().upper()) == to_checksum_address(raw.hex())
