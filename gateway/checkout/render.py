"""HTML of the checkout: the page, the payment panel fragment and the 404 page.

Templates are `string.Template` files under templates/; every value put into them is escaped
here (`html.escape`, quotes included) except markup this module builds itself. The QR SVG is
passed in already rendered (gateway.checkout.qrsvg), so this module does no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from pathlib import Path
from string import Template
from typing import Final
from urllib.parse import urlencode

from gateway.checkout.formatting import format_countdown, format_kzt
from gateway.checkout.i18n import LANGUAGES, NATIVE_NAMES, Translator
from gateway.checkout.service import CheckoutView, OptionView, Phase

TEMPLATE_DIR: Final = Path(__file__).with_name("templates")
STATUS_KEYS: Final = {phase: f"status_{phase.value}" for phase in Phase}
HIDDEN: Final = " hidden"
DESCRIPTION_CHARS: Final = 140


def _template(name: str) -> Template:
    return Template((TEMPLATE_DIR / name).read_text(encoding="utf-8"))


PAGE: Final = _template("page.html")
PANEL: Final = _template("panel.html")
NOT_FOUND: Final = _template("not_found.html")


@dataclass(frozen=True)
class Chrome:
    """What every page links to: the static files' versioned URLs."""

    css_url: str
    js_url: str
    icon_url: str


def page_url(invoice_id: str) -> str:
    return f"/pay/{invoice_id}"


def _hidden(hidden: bool) -> str:
    return HIDDEN if hidden else ""


def lang_links(base_url: str, current: str, asset: str | None) -> str:
    """The visible language switcher: one link per language, in that language."""
    links = []
    for lang in LANGUAGES:
        query = {"lang": lang, **({"asset": asset} if asset else {})}
        current_attr = ' aria-current="true"' if lang == current else ""
        links.append(
            f'<a href="{escape(base_url)}?{escape(urlencode(query))}" hreflang="{lang}" '
            f'lang="{lang}"{current_attr}>{escape(NATIVE_NAMES[lang])}</a>'
        )
    return "\n".join(links)


def option_button(option: OptionView, selected: bool, t: Translator) -> str:
    label = t("option_label", asset=option.symbol, chain=option.chain_name)
    # An option whose chain is not live cannot be chosen: nobody would see it paid. The
    # script re-checks GET /v1/status while the page is open (data-chain) and toggles it.
    state = "" if option.available else ' disabled data-available="false"'
    if not option.available:
        label = f"{label}: {t('option_unavailable')}"
    return (
        f'<button type="submit" name="asset" value="{escape(option.asset_id)}" class="option" '
        f'data-chain="{escape(option.chain)}" '
        f'aria-pressed="{"true" if selected else "false"}" aria-label="{escape(label)}"{state}>'
        f'<span class="symbol">{escape(option.symbol)}</span>'
        f'<span class="net">{escape(option.chain_name)}</span>'
        f'<span class="unavailable"{_hidden(option.available)}>'
        f'{escape(t("option_unavailable"))}</span></button>'
    )


def qr_label(option: OptionView, t: Translator) -> str:
    return t("qr_label", amount=option.amount, asset=option.symbol, chain=option.chain_name)


def render_panel(option: OptionView, svg: str, t: Translator) -> str:
    """The selected option: QR (inline `svg`), wallet link, amount and address to copy."""
    return PANEL.substitute(
        asset_id=escape(option.asset_id), remainder_hidden=_hidden(not option.is_remainder),
        t_remainder_note=escape(t("remainder_note")), t_scan_qr=escape(t("scan_qr")), svg=svg,
        uri=escape(option.uri),
        t_open_wallet_label=escape(t("open_wallet_label", amount=option.amount,
                                     asset=option.symbol, chain=option.chain_name)),
        t_open_wallet=escape(t("open_wallet")), t_exact_amount=escape(t("exact_amount")),
        amount=escape(option.amount), symbol=escape(option.symbol),
        t_copy_amount_label=escape(t("copy_amount_label")), t_copy=escape(t("copy")),
        t_target=escape(t("address" if option.chain == "bsc" else "recipient")),
        target=escape(option.target), t_copy_address_label=escape(t("copy_address_label")),
        t_network=escape(t("network")), network=escape(option.network),
        hint=escape(t("hint_bsc" if option.chain == "bsc" else "hint_solana")),
    )


def _catalog_json(t: Translator) -> str:
    # A JSON data block is not executed (CSP-safe); "<" is escaped so no "</script>" fits in.
    return json.dumps(t.script_catalog(), ensure_ascii=False).replace("<", "\\u003c")


def _clip(text: str) -> str:
    # The API allows 1000 characters; a phone screen shows the start, the rest is the shop's.
    return text if len(text) <= DESCRIPTION_CHARS else text[:DESCRIPTION_CHARS - 1] + "…"


def _order_line(view: CheckoutView, t: Translator) -> str:
    """What is being bought: the description and the merchant's order number, when given."""
    parts = [escape(_clip(view.description))] if view.description else []
    if view.order_id:
        parts.append(escape(t("order", order_id=view.order_id)))
    return f'<p class="order">{"".join(f"<span>{p}</span>" for p in parts)}</p>' if parts else ""


def _summary(view: CheckoutView, t: Translator) -> dict[str, str]:
    sep = t("decimal_separator")
    return {
        "merchant": escape(view.merchant_name), "order_line": _order_line(view, t),
        "amount_kzt": escape(format_kzt(view.amount, sep)),
        "paid_hidden": _hidden(view.phase is not Phase.PARTIAL),
        "paid_kzt": escape(format_kzt(view.amount_paid, sep)),
        "remaining_kzt": escape(format_kzt(view.remaining, sep)),
        "status_text": escape(t(STATUS_KEYS[view.phase])),
        "note_hidden": _hidden(not (view.overpaid and view.phase is Phase.PAID)),
        "overpaid_note": escape(t("overpaid_note")),
        "timer_hidden": _hidden(not view.payable), "countdown": format_countdown(view.seconds_left),
    }


def _labels(t: Translator, merchant: str) -> dict[str, str]:
    keys = ("language", "amount_due", "paid_so_far", "remaining", "time_left",
            "countdown_label", "choose_option", "noscript", "invoice")
    labels = {f"t_{key}": escape(t(key)) for key in keys}
    labels["t_back_to_shop"] = escape(t("back_to_shop", merchant=merchant))
    return labels


def render_page(view: CheckoutView, selected: OptionView | None, panel: str, t: Translator,
                chrome: Chrome, redirect_delay: int) -> str:
    """The whole checkout page; `panel` is render_panel() of `selected` (or "")."""
    base = page_url(view.invoice_id)
    buttons = "\n".join(option_button(o, o is selected, t) for o in view.options)
    return PAGE.substitute(
        lang=t.lang, title=escape(t("page_title", merchant=view.merchant_name)),
        icon_url=escape(chrome.icon_url), css_url=escape(chrome.css_url),
        js_url=escape(chrome.js_url),
        lang_links=lang_links(base, t.lang, selected.asset_id if selected else None),
        phase=view.phase.value, events_url=escape(f"{base}/events"),
        panel_url=escape(f"{base}/panel"), seconds_left=str(view.seconds_left),
        amount_paid=str(view.amount_paid), redirect_url=escape(view.redirect_url or ""),
        redirect_delay=str(redirect_delay), page_url=escape(base),
        pay_hidden=_hidden(not view.payable or selected is None), option_buttons=buttons,
        panel=panel, done_hidden=_hidden(view.phase is not Phase.PAID or not view.redirect_url),
        invoice_id=escape(view.invoice_id), catalog_json=_catalog_json(t),
        **_summary(view, t), **_labels(t, view.merchant_name),
    )


def render_not_found(t: Translator, chrome: Chrome, base_url: str) -> str:
    return NOT_FOUND.substitute(
        lang=t.lang, title=escape(t("not_found_title")), text=escape(t("not_found_text")),
        icon_url=escape(chrome.icon_url), css_url=escape(chrome.css_url),
        t_language=escape(t("language")), lang_links=lang_links(base_url, t.lang, None),
    )

