"""Figures people read (issue 13, point 6), over the main pages of the portal, the point of
sale and the zone console with a shop's day in them: the visible text (not ids and hashes in
`<code>`, not scripts) has no raw base units or other ungrouped run of digits, no asset id
(`USDT_BSC`) for a coin's name, no tenge without thin-space groups and no bare "UTC" (times
are Asia/Almaty, the zone named)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from html import unescape
from html.parser import HTMLParser
from typing import Any

import asyncpg

from gateway.admin import audit, auth
from gateway.invoices.states import InvoiceStatus
from gateway.lifecycle.service import apply_invoices
from gateway.transfers.sink import TransferSink
from settlement.assets import ASSETS
from tests.admin.test_console_http import client as console_client
from tests.admin.test_console_http import make_user as make_admin
from tests.admin.test_console_http import sign_in as console_sign_in
from tests.api.helpers import invoice_body
from tests.browser.support import advance
from tests.plugins.app import ApiClient, RunningApp
from tests.portal.support import client
from tests.portal.test_browser_guide import _shop_with_a_day
from tests.portal.test_pages import _charge
from tests.refunds.helpers import pay, pending_refund

MakeMerchant = Callable[..., Awaitable[str]]
RAW_FIGURE = re.compile(r"\d{10,}")  # base units, or any figure nobody grouped
ASSET_ID = re.compile(r"\b(?:" + "|".join(a for a in ASSETS if "_" in a) + r")\b")
UNGROUPED_KZT = re.compile(r"(?<![\d\u2009])\d{4,}[.,]\d\d\u00a0?₸")
BARE_UTC = re.compile(r"\bUTC\b(?![+-]\d)")
HIDDEN = {"script", "style", "code", "pre", "title", "textarea"}


class VisibleText(HTMLParser):
    """The text a reader sees, without what is in `HIDDEN` elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in HIDDEN

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in HIDDEN and self._hidden > 0

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return unescape(" ".join(parser.parts))


def problems(text: str) -> list[str]:
    return [*RAW_FIGURE.findall(text), *ASSET_ID.findall(text),
            *UNGROUPED_KZT.findall(text), *BARE_UTC.findall(text)]


def test_the_scan_sees_what_it_is_for() -> None:
    assert problems(visible_text("<td>5000000000000000</td><td>USDT_BSC</td>")) == [
        "5000000000000000", "USDT_BSC"]
    assert problems(visible_text("<td>12500.00\u00a0₸</td><td>09:15 UTC</td>")) == [
        "12500.00\u00a0₸", "UTC"]
    assert problems(visible_text(
        "<td>0.005 BNB</td><td>12\u2009500.00\u00a0₸</td><p>Asia/Almaty (UTC+5)</p>"
        "<code>0xe6b4188d60c0f68b9670826422543ac5</code><script>var x=12345678901</script>"
    )) == []


async def test_main_pages_show_no_raw_figures(
        app_server: RunningApp, db_pool: asyncpg.Pool, make_merchant: MakeMerchant,
        make_api_key: Callable[..., Awaitable[str]],
        api_client: Callable[..., ApiClient]) -> None:
    base = app_server.url
    merchant_id, owner_email, terminal_id, paid_id = await _shop_with_a_day(
        db_pool, make_merchant, make_api_key, api_client, base)
    key = await make_api_key(merchant_id)
    made = await api_client(key).post("/v1/invoices", invoice_body(assets=["USDT_BSC"]))
    assert made.status == 200, made.body
    token_invoice: dict[str, Any] = made.body
    asked = int(token_invoice["payment_options"][0]["amount_units"])
    await pay(TransferSink(db_pool, apply_invoices), token_invoice, asked, asset="USDT")
    refund_id = await pending_refund(db_pool, base, merchant_id, key)
    owner = client(base)
    try:
        await owner.sign_in(owner_email)
        charge = await _charge(owner, terminal_id, "2000", "Flat white")
        await advance(db_pool, charge, "invoice.processing", base, amount_paid=200_000,
                      status=InvoiceStatus.PROCESSING)
        await advance(db_pool, charge, "invoice.settled", base, status=InvoiceStatus.SETTLED)
        pages = ["/merchant", "/merchant/invoices", f"/merchant/invoices/{paid_id}",
                 f"/merchant/invoices/{token_invoice['id']}", "/merchant/refunds",
                 "/merchant/payouts", "/merchant/developers", "/merchant/terminals",
                 "/merchant/settings", "/merchant/team", "/merchant/audit",
                 f"/pos/t/{terminal_id}", f"/pos/t/{terminal_id}/report",
                 f"/pos/receipt/{charge}", f"/pos/charge/{charge}"]
        found: dict[str, list[str]] = {}
        for lang in ("en", "ru"):
            for path in pages:
                status, html = await owner.get(f"{path}?lang={lang}")
                assert status == 200, path
                found[f"{path} ({lang})"] = problems(visible_text(html))
        _, detail = await owner.get(f"/merchant/invoices/{token_invoice['id']}?lang=en")
        assert "USDT · BNB Chain" in visible_text(detail)  # the payment names its coin
    finally:
        await owner.http.close()
    name = await make_admin(db_pool, auth.Role.ADMIN)
    async with db_pool.acquire() as conn:  # a changed IBAN: an identifier, not a figure
        await audit.record(conn, audit.CLI_ACTOR, "merchant.payout_account",
                           target_type="merchant", target_id=merchant_id,
                           before={"iban": "KZ86125KZT5004100100"},
                           after={"iban": "KZ43125KZT0433002228"})
    async with console_client() as http:
        await console_sign_in(http, base, name)
        for path in ("/admin/merchants", f"/admin/merchants/{merchant_id}", "/admin/invoices",
                     f"/admin/invoices/{token_invoice['id']}", f"/admin/invoices/{paid_id}",
                     "/admin/refunds", f"/admin/refunds/{refund_id}", "/admin/batches",
                     "/admin/reports", "/admin/audit", "/admin/exceptions"):
            async with http.get(base + path) as response:
                assert response.status == 200, path
                found[path] = problems(visible_text(await response.text()))
    assert {page: hits for page, hits in found.items() if hits} == {}
