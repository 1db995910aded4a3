"""Checkout options on a chain that is not live are marked unavailable and not preselected."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.checkout.i18n import Translator
from gateway.checkout.render import option_button
from gateway.checkout.service import CheckoutView, OptionView, Phase


def option(asset_id: str, chain: str, available: bool = True) -> OptionView:
    return OptionView(asset_id=asset_id, symbol=asset_id, chain=chain, token=None, units=1,
                      amount="1", uri="x:", target="t", reference=None, is_remainder=False,
                      available=available)


def test_an_unavailable_option_is_disabled_and_says_why() -> None:
    html = option_button(option("BNB", "bsc", available=False), False, Translator("en"))
    assert ' disabled data-available="false"' in html and 'data-chain="bsc"' in html
    assert '<span class="unavailable">temporarily unavailable</span>' in html
    live = option_button(option("SOL", "solana"), False, Translator("en"))
    assert " disabled" not in live and 'data-chain="solana"' in live
    # The note is there, hidden, for the script to show if the chain stops while open.
    assert '<span class="unavailable" hidden>' in live


def view_with(options: tuple[OptionView, ...]) -> CheckoutView:
    return CheckoutView(invoice_id="inv_x", merchant_name="Shop", amount=100, amount_paid=0,
                        order_id=None, description=None, phase=Phase.WAITING, overpaid=False,
                        expires_at=datetime.now(UTC), seconds_left=60, redirect_url=None,
                        options=options)


def chosen(view: CheckoutView, asset_id: str | None) -> str | None:
    found = view.option(asset_id)
    return found.asset_id if found is not None else None


def test_the_default_choice_skips_unavailable_options() -> None:
    view = view_with((option("BNB", "bsc", available=False), option("SOL", "solana")))
    assert (chosen(view, None), chosen(view, "BNB")) == ("SOL", "BNB")
    assert chosen(view_with((option("BNB", "bsc", available=False),)), None) == "BNB"
    assert chosen(view_with(()), None) is None
