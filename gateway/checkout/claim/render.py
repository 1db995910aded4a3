"""HTML of the claim page (Jinja, autoescaped; the checkout's stylesheet and language links)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import jinja2
from markupsafe import Markup

from gateway.checkout.claim.links import claim_url
from gateway.checkout.claim.view import ClaimView
from gateway.checkout.claim.words import ClaimWords
from gateway.checkout.formatting import format_kzt
from gateway.checkout.i18n import Translator
from gateway.checkout.render import Chrome, lang_links

ENV: Final = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")), autoescape=True,
    undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
)
REFRESH_SECONDS: Final = 5


def render_claim(view: ClaimView, t: ClaimWords, chrome: Chrome, *, csrf: str,
                 picked: str | None = None, address: str = "", error: str | None = None) -> str:
    """The page: the refund, then the form (awaiting an address) or the status."""
    sep = Translator(t.lang)("decimal_separator")
    return ENV.get_template("claim.html").render(
        v=view, t=t, lang=t.lang, chrome=chrome, csrf=csrf, picked=picked, address=address,
        error=error, action=claim_url(view.token), amount_kzt=format_kzt(view.amount, sep),
        refresh=REFRESH_SECONDS if view.moving else None,
        lang_links=Markup(lang_links(claim_url(view.token), t.lang, None)))


def render_not_found(t: ClaimWords, chrome: Chrome, base_url: str) -> str:
    return ENV.get_template("not_found.html").render(
        t=t, lang=t.lang, chrome=chrome, lang_links=Markup(lang_links(base_url, t.lang, None)))
