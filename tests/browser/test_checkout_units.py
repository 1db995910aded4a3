"""Checkout building blocks without a browser: catalogs, language choice, tenge formatting,
phases, remainder payment requests and the inline QR markup."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from gateway.checkout.assets import load_static
from gateway.checkout.errors import RemainderUriError
from gateway.checkout.formatting import format_countdown, format_kzt, format_rate
from gateway.checkout.i18n import (
    CATALOGS,
    LANGUAGES,
    SCRIPT_KEYS,
    Translator,
    choose_language,
    from_accept_language,
    placeholders,
)
from gateway.checkout.qrsvg import QrMarkupCache, inline_svg, qr_markup
from gateway.checkout.remainder import remaining_units, uri_for_units
from gateway.checkout.service import Phase, phase_of, safe_redirect
from gateway.invoices.models import PaymentOption
from gateway.invoices.states import InvoiceException as X
from gateway.invoices.states import InvoiceStatus as S
from gateway.payments.uri import (
    eip681_native,
    eip681_token,
    parse_eip681,
    parse_solana_pay,
    solana_pay,
)
from gateway.rates import units_for

ADDRESS = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
USDT_BSC = "0x55d398326f99059fF775485246999027B3197955"
TREASURY = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"
USDT_MINT = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"
REFERENCE = "82ZJ7nbGpixjeDCmEhUcmwXYfvurzAgGdtSMuHnUgyny"
THIN = "\u2009"


def test_catalogs_have_the_same_keys_and_no_empty_values() -> None:
    assert set(CATALOGS) == set(LANGUAGES) == {"kk", "ru", "en"}
    keys = set(CATALOGS["en"])
    for lang, catalog in CATALOGS.items():
        assert set(catalog) == keys, lang
        assert all(value.strip() for value in catalog.values()), lang
        for key, value in catalog.items():
            assert placeholders(value) == placeholders(CATALOGS["en"][key]), (lang, key)
    assert set(SCRIPT_KEYS) <= keys
    assert all(f"status_{phase.value}" in keys for phase in Phase)


def test_translations_differ_between_languages() -> None:
    # A copy-pasted catalog would pass the key test; the visible texts must really differ.
    for key in ("amount_due", "status_paid", "choose_option", "copy"):
        assert len({CATALOGS[lang][key] for lang in LANGUAGES}) == 3, key


@pytest.mark.parametrize(("header", "expected"), [
    ("kk-KZ,kk;q=0.9,ru;q=0.8", "kk"),
    ("en-US,en;q=0.9", "en"),
    ("de-DE,de;q=0.9,ru;q=0.5,en;q=0.4", "ru"),
    ("en;q=0.2, kk;q=0.7", "kk"),
    ("fr, *;q=0.1", None),
    ("ru;q=0, en", "en"),
    ("ru;q=abc, en;q=0.5", "en"),
    ("", None),
])
def test_accept_language(header: str, expected: str | None) -> None:
    assert from_accept_language(header) == expected


def test_query_beats_header_beats_default() -> None:
    assert choose_language("kk", "en", "ru") == "kk"
    assert choose_language("xx", "en-GB", "ru") == "en"
    assert choose_language(None, "fr", "ru") == "ru"
    assert Translator("ru")("order", order_id="A-1") == "Заказ A-1"


@pytest.mark.parametrize(("tiyn", "sep", "text"), [
    (1_234_567, ",", f"12{THIN}345,67\u00a0₸"),
    (150_000, ".", "1500.00\u00a0₸".replace("1500", f"1{THIN}500")),
    (5, ",", "0,05\u00a0₸"),
    (100_000_000_000, ".", f"1{THIN}000{THIN}000{THIN}000.00\u00a0₸"),
    (99, ".", "0.99\u00a0₸"),
])
def test_format_kzt(tiyn: int, sep: str, text: str) -> None:
    assert format_kzt(tiyn, sep) == text


def test_format_countdown() -> None:
    assert [format_countdown(s) for s in (0, 59, 61, 900, 3600, 3725, -5)] == [
        "0:00", "0:59", "1:01", "15:00", "1:00:00", "1:02:05", "0:00"]


@pytest.mark.parametrize(("status", "exception", "paid", "phase"), [
    (S.NEW, None, 0, Phase.WAITING),
    (S.NEW, X.PAID_PARTIAL, 100, Phase.PARTIAL),
    (S.PROCESSING, None, 500, Phase.PROCESSING),
    (S.SETTLED, X.PAID_OVER, 900, Phase.PAID),
    (S.EXPIRED, None, 0, Phase.EXPIRED),
    (S.EXPIRED, X.PAID_PARTIAL, 100, Phase.EXPIRED),
    (S.EXPIRED, X.PAID_LATE, 500, Phase.LATE),
    (S.INVALID, None, 500, Phase.INVALID),
    (S.CANCELLED, None, 0, Phase.CANCELLED),
])
def test_phase_table(status: S, exception: X | None, paid: int, phase: Phase) -> None:
    assert phase_of(status, exception, paid) is phase


def test_only_http_redirects_leave_the_page() -> None:
    assert safe_redirect("https://shop.example/ok?x=1") == "https://shop.example/ok?x=1"
    assert safe_redirect("javascript:alert(1)") is None
    assert safe_redirect("//evil.example") is None
    assert safe_redirect(None) is None


def option(uri: str, units: int, decimals: int, rate: str, chain: str = "bsc") -> PaymentOption:
    return PaymentOption(
        asset_id="X", chain=chain, symbol="X", token=None, decimals=decimals,
        amount_units=units, rate=Decimal(rate), rate_source="fixed",
        rate_fetched_at=datetime.now(UTC), uri=uri,
    )


def test_remainder_is_ceil_at_the_locked_rate_and_capped() -> None:
    full = units_for(150_000, Decimal("500.00"), 18)
    opt = option(eip681_token(USDT_BSC, ADDRESS, full), full, 18, "500.00")
    assert remaining_units(opt, 150_000, 0) == full
    assert remaining_units(opt, 150_000, 50_001) == units_for(99_999, Decimal("500.00"), 18)
    assert remaining_units(opt, 150_000, 150_000) == 0
    odd = option(eip681_native(ADDRESS, 7), 7, 18, "300000.00")
    # ceil(1 tiyn at 300000 KZT/BNB in wei) would exceed a 7-wei quote: capped at the quote.
    assert remaining_units(odd, 1_000, 1) == 7


def test_full_amount_keeps_the_stored_uri_exactly() -> None:
    uri = solana_pay(TREASURY, "300", spl_token=USDT_MINT, reference=REFERENCE,
                     label="Кофе & Co", message="Order 7")
    assert uri_for_units(option(uri, 300_000_000, 6, "500", "solana"), 300_000_000) == uri


def test_remainder_uris_change_only_the_amount() -> None:
    native = eip681_native(ADDRESS, 10**18)
    rebuilt = parse_eip681(uri_for_units(option(native, 10**18, 18, "1"), 4 * 10**17))
    assert (rebuilt.to, rebuilt.amount, rebuilt.chain_id, rebuilt.function) == (
        ADDRESS, 4 * 10**17, 56, None)
    token = eip681_token(USDT_BSC, ADDRESS, 3 * 10**20)
    rebuilt = parse_eip681(uri_for_units(option(token, 3 * 10**20, 18, "1"), 12345))
    assert (rebuilt.target, rebuilt.to, rebuilt.amount) == (USDT_BSC, ADDRESS, 12345)
    sol = solana_pay(TREASURY, "300", spl_token=USDT_MINT, reference=REFERENCE,
                     label="Кофе & Co", message="Order 7")
    again = uri_for_units(option(sol, 300_000_000, 6, "500", "solana"), 120_000_001)
    before, after = parse_solana_pay(sol), parse_solana_pay(again)
    assert after.amount == Decimal("120.000001")
    assert (after.recipient, after.spl_token, after.references, after.label, after.message) == (
        before.recipient, before.spl_token, before.references, before.label, before.message)
    assert again.split("?")[1].split("&")[1:] == sol.split("?")[1].split("&")[1:]


def test_unknown_uri_scheme_is_refused() -> None:
    with pytest.raises(RemainderUriError):
        uri_for_units(option("bitcoin:bc1qxyz?amount=1", 10, 8, "1"), 5)


async def test_inline_qr_is_accessible_and_cached() -> None:
    markup = qr_markup("solana:" + TREASURY)
    svg = inline_svg(markup, 'QR "pay" <1 SOL>')
    assert svg.startswith('<svg class="qr-code"') and "<?xml" not in svg
    assert 'role="img"' in svg and 'aria-label="QR &quot;pay&quot; &lt;1 SOL&gt;"' in svg
    assert "<title>QR &quot;pay&quot; &lt;1 SOL&gt;</title>" in svg
    assert " id=" not in svg and "ns0:" not in svg and "mm" not in svg.split(">")[0]
    cache = QrMarkupCache(max_entries=2)
    first = await cache.get("solana:" + TREASURY)
    assert await cache.get("solana:" + TREASURY) is first
    await cache.get("a")
    await cache.get("b")
    assert len(cache) == 2 and cache.peek("solana:" + TREASURY) is None


def test_static_files_are_self_contained() -> None:
    files = load_static()
    assert {"checkout.css", "checkout.js", "icon.svg"} <= set(files)
    for found in files.values():
        text = found.body.decode()
        # Nothing from elsewhere: no remote URLs, imports or web fonts.
        assert "http://" not in text.replace('"http://www.w3.org/2000/svg"', "")
        assert "https://" not in text and "@import" not in text and "@font-face" not in text
    js = files["checkout.js"].body.decode()
    assert "eval(" not in js and "innerHTML" not in js and "new Function" not in js


def test_rates_read_exactly_with_groups_and_no_exponent() -> None:
    assert format_rate(Decimal("3.0E+5"), "BNB") == "1 BNB = 300\u2009000\u00a0₸"
    assert format_rate(Decimal("505.250"), "USDT", ",") == "1 USDT = 505,25\u00a0₸"
    assert format_rate(Decimal("0.0001234"), "KZTE") == "1 KZTE = 0.0001234\u00a0₸"
