"""The claim page's words and view, without a server."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.checkout.claim.view import build_view
from gateway.checkout.claim.words import CATALOGS, EN
from gateway.checkout.i18n import LANGUAGES, placeholders
from gateway.refunds.models import Refund
from gateway.refunds.service import claim_url
from gateway.refunds.states import RateKind, RefundStatus


def refund(**fields: object) -> Refund:
    now = datetime(2026, 12, 2, tzinfo=UTC)
    base: dict[str, object] = dict(
        id="rfd_test0001", merchant_id="mch_x", invoice_id="inv_x", livemode=True,
        status=RefundStatus.AWAITING_ADDRESS, amount=150_000, stranded_amount=150_000,
        sale_amount=0, chain="solana", asset_id="USDT_SOL", stranded_units=3_000_000,
        sale_units=0, amount_units=3_000_000, rate_kind=RateKind.LOCKED, rate=None,
        address=None, claim_token="T" * 32, reason=None, failure_reason=None, tx=None,
        network_fee_units=None, decided_by=None, decided_at=None, created_at=now,
        status_changed_at=now)
    base.update(fields)
    return Refund(**base)  # type: ignore[arg-type]


def test_every_language_has_every_word_with_the_same_fields() -> None:
    assert set(CATALOGS) == set(LANGUAGES)
    for lang, catalog in CATALOGS.items():
        assert set(catalog) == set(EN), lang
        for key, text in catalog.items():
            assert placeholders(text) == placeholders(EN[key]), (lang, key)
    for status in RefundStatus:
        assert f"status_{status.value}" in EN


def test_view_shows_units_with_symbol_and_the_only_coin_to_pick() -> None:
    view = build_view(refund(), "Kok Bazaar", ["USDT_SOL"])
    assert (view.units, view.chain_name) == ("3 USDT", "Solana")
    assert [c.asset_id for c in view.choices] == ["USDT_SOL"]
    assert view.claimable and not view.moving


def test_a_sale_refund_waits_for_the_coin_and_moving_refunds_reload() -> None:
    view = build_view(refund(asset_id=None, chain=None, amount_units=None, stranded_units=0,
                             stranded_amount=0, sale_amount=150_000),
                      "Kok Bazaar", ["BNB", "SOL", "NOPE"])
    assert view.units is None and [c.symbol for c in view.choices] == ["BNB", "SOL"]
    assert view.choice("SOL") is not None and view.choice("USDT_BSC") is None
    assert build_view(refund(status=RefundStatus.SENT), "K", []).moving


def test_claim_link_is_absolute_and_absent_without_a_token() -> None:
    assert claim_url("https://pay.example", refund()) == (
        "https://pay.example/refunds/claim/" + "T" * 32)
    assert claim_url("https://pay.example", refund(claim_token=None)) is None
