"""The simulator reads EIP-681 strictly and refuses anything a careful wallet would."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gateway.devnet.bsc_wallet import BscPayment, parse_payment_uri, transfer_data
from gateway.devnet.errors import InvalidPaymentUri, PaymentFailed
from gateway.devnet.split import split_units
from tests.plugins.devnet import Devnets

TO = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
USDT = "0x55d398326f99059fF775485246999027B3197955"


def test_native_uri() -> None:
    assert parse_payment_uri(f"ethereum:{TO}@56?value=1000") == BscPayment(TO, 1000, None)


def test_token_uri_and_lowercase_addresses() -> None:
    uri = f"ethereum:{USDT.lower()}@56/transfer?address={TO.lower()}&uint256=7"
    assert parse_payment_uri(uri) == BscPayment(TO, 7, USDT)


def test_pay_prefix_is_eip681() -> None:
    assert parse_payment_uri(f"ethereum:pay-{TO}@56?value=5").units == 5


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        (f"ethereum:{TO}@1?value=1", "chain id 1"),
        (f"ethereum:{TO}@97?value=1", "chain id 97"),
        (f"ethereum:{TO}?value=1", "no chain id"),
        (f"ethereum:{TO}@56?value=1e18", "plain digits"),
        (f"ethereum:{TO}@56?value=1E3", "plain digits"),
        (f"ethereum:{TO}@56?value=1.5", "whole number"),
        (f"ethereum:{TO}@56?value=-1", "number"),
        (f"ethereum:{TO}@56?value=0", "more than zero"),
        (f"ethereum:{TO}@56", "no amount"),
        (f"ethereum:{TO}@56?value=1&value=2", "more than once"),
        (f"ethereum:{TO}@56?value=1&foo=2", "unsupported parameter"),
        (f"ethereum:{TO[:-1]}@56?value=1", "hex address"),
        (f"ethereum:{TO[:2] + TO[2:].swapcase()}@56?value=1", "checksum"),
        (f"ethereum:{USDT}@56/transfer?uint256=1", "address"),
        (f"ethereum:{USDT}@56/transfer?address={TO}", "no amount"),
        (f"ethereum:{USDT}@56/transfer?address={TO}&uint256=2.5e1", "plain digits"),
        (f"ethereum:{USDT}@56/approve?address={TO}&uint256=1", "approve"),
        (f"ethereum:{USDT}@56/transfer?address=bob.eth&uint256=1", "address"),
        ("ethereum:bob.eth@56?value=1", "hex address"),
        ("bitcoin:1BoatSLRHtKNngkdXEeobR76b53LETtpyT?amount=1", "EIP-681"),
        ("", "EIP-681"),
    ],
)
def test_malformed_uris_are_refused(uri: str, message: str) -> None:
    with pytest.raises(InvalidPaymentUri, match=message):
        parse_payment_uri(uri)


def test_split_units_is_exact() -> None:
    assert split_units(10, 3) == [4, 3, 3]
    assert sum(split_units(10**18 + 7, 7)) == 10**18 + 7
    with pytest.raises(PaymentFailed):
        split_units(2, 3)


def test_transfer_call_data() -> None:
    data = transfer_data(TO, 1)
    assert data[:4].hex() == "a9059cbb"
    assert data[4:36].hex().endswith(TO[2:].lower())
    assert int.from_bytes(data[36:], "big") == 1


def _cli(devnets: Devnets, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway", "devnet", *args], env=devnets.env(),
                          capture_output=True, text=True, timeout=60, check=False)


def test_cli_refuses_a_bad_uri_with_one_line_and_status_2(devnets: Devnets) -> None:
    proc = _cli(devnets, "pay", f"ethereum:{TO}@1?value=1")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "invalid payment URI: chain id 1 is not BNB Chain (56); refusing to pay"
    ]
    assert proc.stdout == ""


def test_cli_pays_and_prints_the_hash(devnets: Devnets) -> None:
    from tests.plugins.devnet import fresh_bsc_address

    proc = _cli(devnets, "pay", f"ethereum:{fresh_bsc_address()}@56?value=1", "--wallet", "1")
    assert proc.returncode == 0, proc.stderr
    [tx_hash] = proc.stdout.split()
    assert len(tx_hash) == 66 and tx_hash.startswith("0x")


def test_cli_status_sees_the_running_devnets(devnets: Devnets) -> None:
    proc = _cli(devnets, "status")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"bsc     running {devnets.bsc_rpc_url}" in proc.stdout
