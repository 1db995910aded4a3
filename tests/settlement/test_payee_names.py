"""Party names as pain.001 carries them: checked at entry, fitted at export."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from lxml import etree

from settlement.payouts.bin import make_bin
from settlement.payouts.errors import InvalidPayee
from settlement.payouts.iban import make_kz_iban
from settlement.payouts.pain001 import (
    MAX_PARTY_NAME,
    NAMESPACE,
    CreditTransfer,
    Party,
    PurposeCodes,
    build_pain001,
    check_party_name,
    fit_party_name,
)

BAD_NAMES = ["x" * (MAX_PARTY_NAME + 1), "Shop\x07LLP", "Shop\u202eLLP", "Shop\ue000",
             "Shop\x9bLLP", "Shop\ufffe", "   "]


def _party(name: str, account: str) -> Party:
    return Party(name=name, iban=make_kz_iban("722", account), bic="CASPKZKA",
                 bin=make_bin("04084000123"))


@pytest.mark.parametrize("name", BAD_NAMES)
def test_names_a_file_cannot_carry_are_refused(name: str) -> None:
    with pytest.raises(InvalidPayee):
        check_party_name(name)


@pytest.mark.parametrize(("name", "carried"), [
    ("ТОО «Кофе & Ко»", "ТОО «Кофе & Ко»"), ("  Shop \t LLP \n", "Shop LLP"),
    ("y" * MAX_PARTY_NAME, "y" * MAX_PARTY_NAME), ("Қазақ Ә Ө Ү <b>", "Қазақ Ә Ө Ү <b>"),
])
def test_printable_names_up_to_140_are_carried(name: str, carried: str) -> None:
    assert check_party_name(name) == carried


def test_fitting_drops_unprintables_and_cuts() -> None:
    assert fit_party_name("a\x00b\u202ec " + "z" * 300) == ("a b c " + "z" * 300)[:140]
    assert fit_party_name("Shop\x07LLP") == "Shop LLP"


def test_one_old_bad_name_does_not_break_the_file_for_everyone() -> None:
    transfers = [
        CreditTransfer("bat_good", 100_00, _party("Good Shop LLP", "KZT0000000011"), "t"),
        CreditTransfer("bat_long", 200_00, _party("L" * 200, "KZT0000000012"), "t"),
        CreditTransfer("bat_ctrl", 300_00, _party("Bell\x07Shop", "KZT0000000013"), "t"),
    ]
    document = build_pain001(
        message_id="pof_names", created_at=datetime(2026, 1, 2, tzinfo=UTC),
        execution_date=date(2026, 1, 3),
        debtor=_party("CryptoCity Operator LLP", "0000000000001"), transfers=transfers,
        purpose=PurposeCodes())
    names = etree.fromstring(document).xpath("//p:Cdtr/p:Nm/text()", namespaces={"p": NAMESPACE})
    assert names == ["Good Shop LLP", "L" * MAX_PARTY_NAME, "Bell Shop"]
