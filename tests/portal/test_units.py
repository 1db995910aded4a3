"""Pure pieces of the portal: the three catalogs, keypad amounts, the role matrix, TOTP
steps, the statement's spreadsheet-safe cells, Almaty days, coin amounts and names."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pyotp
import pytest

from gateway.checkout.formatting import asset_amount, asset_label, format_crypto
from gateway.invoices.states import InvoiceException, InvoiceStatus
from gateway.portal import pos, sales
from gateway.portal.errors import InvalidForm
from gateway.portal.i18n import CATALOGS, EN, EN_STATES, STATES, Words
from gateway.portal.roles import Perm, Role, allows
from gateway.portal.service import totp_step
from gateway.refunds.states import RefundStatus
from settlement.batches.states import BatchStatus


def test_every_language_has_every_word() -> None:
    for lang, catalog in CATALOGS.items():
        assert set(catalog) == set(EN), lang


@pytest.mark.parametrize(("typed", "tiyn"), [("1500", 150_000), ("1 500,5", 150_050),
                                             ("1\u2009500.05", 150_005), ("0.01", 1)])
def test_keypad_amounts_are_exact(typed: str, tiyn: int) -> None:
    assert pos.parse_amount(typed) == tiyn


@pytest.mark.parametrize("typed", ["", "0", "1.001", "-5", "1e3", "12345678901234"])
def test_bad_keypad_amounts_are_refused(typed: str) -> None:
    with pytest.raises(InvalidForm):
        pos.parse_amount(typed)


def test_roles() -> None:
    assert allows(Role.OWNER, Perm.TEAM) and not allows(Role.MANAGER, Perm.TEAM)
    assert {p for p in Perm if allows(Role.CASHIER, p)} == {Perm.CHARGE}
    assert not allows(Role.ACCOUNTANT, Perm.DEVELOPERS)
    assert not allows(Role.ACCOUNTANT, Perm.CHARGE)


def test_totp_accepts_one_step_of_drift_only() -> None:
    secret = pyotp.random_base32()
    now = time.time()
    totp = pyotp.TOTP(secret)
    assert totp_step(secret, totp.at(now - 30), now) is not None
    assert totp_step(secret, totp.at(now - 120), now) is None


def test_almaty_day_bounds_are_utc_plus_five() -> None:
    start, end = sales.day_bounds(date(2026, 3, 1))
    assert start.astimezone(UTC) == datetime(2026, 2, 28, 19, 0, tzinfo=UTC)
    assert (end - start).total_seconds() == 86_400
    assert sales.today_almaty(datetime(2026, 2, 28, 19, 30, tzinfo=UTC)) == date(2026, 3, 1)


def test_figures_read_in_the_coins_own_units_and_names() -> None:
    assert asset_amount(5 * 10**15, "BNB") == "0.005 BNB"
    assert asset_label("USDT_BSC") == "USDT · BNB Chain" and asset_label("nope") == "nope"
    # Chain transfers name a token by its symbol on its chain: never the raw base units.
    assert asset_amount(1_500_000, "USDT", "solana") == "1.5 USDT"
    assert asset_label("USDT", "solana") == "USDT · Solana"
    assert asset_label("bsc:USDC") == "USDC · BNB Chain"
    # Grouped in threes both sides of the point (thin spaces); four decimals stay whole.
    assert asset_amount(12_500 * 10**18 // 300_000, "BNB") == (
        "0.041\u2009666\u2009666\u2009666\u2009666\u2009666 BNB")
    assert asset_amount(55 * 10**14, "BNB") == "0.0055 BNB"
    assert format_crypto(-1_234_500_000, 6) == "-1\u2009234.5"


def test_stored_values_read_as_words_in_every_language() -> None:
    """Statuses and the statement's lines are words, not stored codes, in kk/ru/en."""
    assert {s.value for s in InvoiceStatus} <= set(EN_STATES["invoice"])
    assert {s.value for s in InvoiceException} <= set(EN_STATES["exception"])
    assert {s.value for s in RefundStatus} <= set(EN_STATES["refund"])
    assert {s.value for s in BatchStatus} <= set(EN_STATES["batch"])
    for lang, states in STATES.items():
        for kind, words in EN_STATES.items():
            assert set(states[kind]) == set(words), (lang, kind)
    assert Words("kk").state("invoice", InvoiceStatus.SETTLED) == "Төленді"
    assert Words("ru").state("refund", "awaiting_address") == "Ждём адрес покупателя"
    assert Words("en").state("batch", "something_new") == "something_new"
