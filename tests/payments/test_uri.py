"""EIP-681 and Solana Pay URIs: exact builders, strict parsers, round trips."""

from __future__ import annotations

from decimal import Decimal

import base58
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.payments.amounts import format_units, parse_units
from gateway.payments.errors import PaymentUriError
from gateway.payments.references import new_reference
from gateway.payments.uri import (
    MAX_UINT256,
    Eip681Request,
    Eip681Template,
    SolanaPayRequest,
    SolanaPayTemplate,
    eip681_native,
    eip681_token,
    parse_eip681,
    parse_solana_pay,
    solana_pay,
    solana_pay_tail,
)

ADDR = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
TOKEN = "0x55d398326f99059fF775485246999027B3197955"  # BSC-USD (BEP-20 USDT)
RECIPIENT = "mvines9iiHiQTysrwkJjGf2gb9Ex9jXJX8ns3qwf2kN"
USDC_MINT = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
REF = "82ZJ7nbGpixjeDCmEhUcmwXYfvurzAgGdtSMuHnUgyny"


def test_native_uri_has_plain_digits_for_huge_values() -> None:
    wei = 10**30 + 7
    uri = eip681_native(ADDR, wei)
    assert uri == f"ethereum:{ADDR}@56?value=1000000000000000000000000000007"
    assert "e" not in uri.split("value=")[1].lower()
    assert parse_eip681(uri) == Eip681Request(ADDR, 56, None, ADDR, wei)


def test_token_uri_round_trip_and_checksums_lowercase_input() -> None:
    uri = eip681_token(TOKEN.lower(), ADDR.lower(), 12_345_000_000_000_000_000, chain_id=97)
    assert uri == (
        f"ethereum:{TOKEN}@97/transfer?address={ADDR}&uint256=12345000000000000000"
    )
    assert parse_eip681(uri) == Eip681Request(TOKEN, 97, "transfer", ADDR, 12_345 * 10**15)


@given(st.integers(min_value=0, max_value=MAX_UINT256))
def test_eip681_amounts_round_trip_exactly(units: int) -> None:
    assert parse_eip681(eip681_token(TOKEN, ADDR, units)).amount == units
    assert parse_eip681(eip681_native(ADDR, units)).amount == units


def test_parser_accepts_eip681_scientific_notation_as_exact_integer() -> None:
    parsed = parse_eip681(f"ethereum:pay-{ADDR}@56?value=2.014e18&gas=21000")
    assert parsed.amount == 2_014_000_000_000_000_000
    assert parse_eip681(f"ethereum:{ADDR}").chain_id is None


@pytest.mark.parametrize(
    "uri",
    [
        f"bitcoin:{ADDR}?value=1",
        f"ethereum:{ADDR[:-1]}?value=1",
        f"ethereum:{ADDR.replace('E', 'e', 1)}?value=1",  # broken EIP-55 checksum
        f"ethereum:{ADDR}@56?value=1.5",
        f"ethereum:{ADDR}@56?value=-1",
        f"ethereum:{ADDR}@56?value=",
        f"ethereum:{ADDR}@56?value=0x10",
        f"ethereum:{ADDR}@56?value=1&value=2",
        f"ethereum:{ADDR}@56?amount=1",
        f"ethereum:{ADDR}@56?value",
        f"ethereum:{ADDR}@0?value=1",
        f"ethereum:{ADDR}@56?value={2**256}",
        f"ethereum:{ADDR}@56?value=1e999999999",
        f"ethereum:{ADDR}@56?value=1.5e-999999999",
        f"ethereum:{TOKEN}@56/approve?address={ADDR}&uint256=1",
        f"ethereum:{TOKEN}@56/transfer?uint256=1",
        f"ethereum:{TOKEN}@56/transfer?address=0x12&uint256=1",
        "ethereum:vitalik.eth?value=1",
    ],
)
def test_malformed_eip681_is_refused(uri: str) -> None:
    with pytest.raises(PaymentUriError):
        parse_eip681(uri)


def test_builders_refuse_bad_input() -> None:
    with pytest.raises(PaymentUriError):
        eip681_native(ADDR, -1)
    with pytest.raises(PaymentUriError):
        eip681_native(ADDR, 2**256)
    with pytest.raises(PaymentUriError):
        eip681_native("0x1234", 1)
    with pytest.raises(PaymentUriError):
        eip681_token(TOKEN, ADDR, 1, chain_id=0)
    with pytest.raises(PaymentUriError):
        eip681_native(ADDR, True)


def test_solana_pay_matches_the_spec_example_shape() -> None:
    uri = solana_pay(
        RECIPIENT, "0.01", spl_token=USDC_MINT, reference=REF, label="Michael",
        message="Thanks for all the fish", memo="OrderId5678",
    )
    assert uri == (
        f"solana:{RECIPIENT}?amount=0.01&spl-token={USDC_MINT}&reference={REF}"
        "&label=Michael&message=Thanks%20for%20all%20the%20fish&memo=OrderId5678"
    )


def test_kazakh_and_russian_labels_are_percent_encoded_and_round_trip() -> None:
    label = "Қазақ дүкені «Алма»"
    message = "Заказ №42 & скидка=5%"
    uri = solana_pay(RECIPIENT, "1.5", spl_token=None, reference=REF, label=label,
                     message=message)
    assert uri.isascii()
    assert "label=%D2%9A%D0%B0%D0%B7" in uri
    assert "%26%20" in uri and "%3D5%25" in uri  # "&", "=" and "%" inside values are escaped
    assert parse_solana_pay(uri) == SolanaPayRequest(
        RECIPIENT, Decimal("1.5"), None, [REF], label, message, None
    )


def test_parser_reads_repeated_references_in_order_and_plus_as_space() -> None:
    second = new_reference()
    uri = f"solana:{RECIPIENT}?reference={REF}&amount=0&reference={second}&memo=a+b"
    parsed = parse_solana_pay(uri)
    assert parsed.references == [REF, second]
    assert parsed.amount == Decimal(0)
    assert parsed.memo == "a b"
    assert parse_solana_pay(f"solana:{RECIPIENT}").amount is None


@pytest.mark.parametrize(
    "uri",
    [
        f"solana:{RECIPIENT}?amount=1e3",
        f"solana:{RECIPIENT}?amount=.5",
        f"solana:{RECIPIENT}?amount=01",
        f"solana:{RECIPIENT}?amount=-1",
        f"solana:{RECIPIENT}?amount=1.",
        f"solana:{RECIPIENT}?amount=0.0000000001",
        f"solana:{RECIPIENT}?amount=1&amount=2",
        f"solana:{RECIPIENT}?label=a&label=b",
        f"solana:{RECIPIENT}?reference=notakey",
        f"solana:{RECIPIENT}?spl-token=0OIl",
        f"solana:{RECIPIENT}?colour=red",
        f"solana:{RECIPIENT}?amount",
        "solana:abc?amount=1",
        "solana:https%3A%2F%2Fexample.com%2Fpay",
        f"ethereum:{RECIPIENT}?amount=1",
        f"solana:{RECIPIENT}&label=Michael",
    ],
)
def test_malformed_solana_pay_is_refused(uri: str) -> None:
    with pytest.raises(PaymentUriError):
        parse_solana_pay(uri)


@pytest.mark.parametrize("amount", ["1e3", "1.0e1", ".5", "-1", "1,5", " 1", "NaN",
                                    "0.0000000001"])
def test_solana_pay_builder_refuses_bad_amounts(amount: str) -> None:
    with pytest.raises(PaymentUriError):
        solana_pay(RECIPIENT, amount, spl_token=None, reference=REF, label=None, message=None)


def test_solana_pay_builder_refuses_bad_keys_and_empty_text() -> None:
    with pytest.raises(PaymentUriError, match="reference"):
        solana_pay(RECIPIENT, "1", spl_token=None, reference="x", label=None, message=None)
    with pytest.raises(PaymentUriError, match="label"):
        solana_pay(RECIPIENT, "1", spl_token=None, reference=REF, label="", message=None)


def test_new_reference_is_a_fresh_32_byte_key() -> None:
    refs = {new_reference() for _ in range(50)}
    assert len(refs) == 50
    for ref in refs:
        assert len(base58.b58decode(ref)) == 32


@pytest.mark.parametrize(
    ("units", "decimals", "text"),
    [(1_500_000, 6, "1.5"), (0, 9, "0"), (1, 9, "0.000000001"), (10**9, 9, "1"),
     (123, 0, "123"), (10**40 + 1, 18, "10000000000000000000000.000000000000000001")],
)
def test_format_units(units: int, decimals: int, text: str) -> None:
    assert format_units(units, decimals) == text
    assert parse_units(text, decimals) == units


@given(st.integers(min_value=0, max_value=10**40), st.integers(min_value=0, max_value=18))
def test_format_units_round_trips(units: int, decimals: int) -> None:
    text = format_units(units, decimals)
    assert "e" not in text.lower()
    assert parse_units(text, decimals) == units


def test_parse_units_refuses_too_many_decimals() -> None:
    with pytest.raises(PaymentUriError, match="decimal places"):
        parse_units("0.0000001", 6)


@given(st.integers(min_value=0, max_value=MAX_UINT256))
def test_eip681_templates_equal_the_builders(units: int) -> None:
    assert Eip681Template(None).uri(ADDR, units) == eip681_native(ADDR, units)
    assert Eip681Template(TOKEN.lower()).uri(ADDR, units) == eip681_token(TOKEN, ADDR, units)


@given(st.integers(min_value=1, max_value=10**30), st.sampled_from([None, USDC_MINT]),
       st.sampled_from([None, "Кофе «Жулдыз»"]), st.sampled_from([None, "Order 7 & co"]))
def test_solana_pay_template_equals_the_builder(units: int, mint: str | None, label: str | None,
                                                message: str | None) -> None:
    decimals = 9 if mint is None else 6
    built = solana_pay(RECIPIENT, format_units(units, decimals), spl_token=mint, reference=REF,
                       label=label, message=message)
    template = SolanaPayTemplate(RECIPIENT, mint, decimals)
    assert template.uri(units, REF, solana_pay_tail(label, message)) == built
    assert parse_solana_pay(built).amount == Decimal(format_units(units, decimals))


def test_templates_check_their_fixed_parts_once() -> None:
    with pytest.raises(PaymentUriError):
        Eip681Template("0x12")
    with pytest.raises(PaymentUriError):
        Eip681Template(TOKEN.replace("F", "f", 1))  # broken EIP-55 checksum
    with pytest.raises(PaymentUriError):
        SolanaPayTemplate("not-a-key", None, 9)
    with pytest.raises(PaymentUriError):
        SolanaPayTemplate(RECIPIENT, None, 6)  # native SOL has 9 decimals
