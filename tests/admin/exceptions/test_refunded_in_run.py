"""A refunded stranded payment on a reconciliation run's page and in the run API: the
holdings row shows it under Refunded (stranded 0, the address still holds it), and a refund
hot wallet that differs from its opening is a `refund_wallet` line on the page."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from gateway.admin import auth
from gateway.admin.settlement import queries
from gateway.chains.facts import Facts
from gateway.lifecycle.service import apply_invoices
from gateway.transfers.sink import TransferSink
from settlement.reconciliation.service import (
    AddressExpectation,
    Holding,
    Observation,
    Opening,
    RefundWallet,
    get_run,
    reconcile,
)
from tests.admin.exceptions.test_queue import _expire, _invoice, _pay
from tests.admin.test_api_access import make_user
from tests.admin.test_console_http import client, sign_in
from tests.plugins.app import ApiClient, RunningApp
from tests.refunds.helpers import bsc_address

AMOUNTS = ("booked", "pending", "stranded", "unmatched", "refunded", "vanished")
WALLET = "0x00000000000000000000000000000000000fee01"


async def test_the_run_page_and_api_show_the_refunded_units(
        client_api: ApiClient, app_server: RunningApp, db_pool: asyncpg.Pool) -> None:
    invoice = await _invoice(client_api, amount=100_000)
    units = int(invoice["payment_options"][0]["amount_units"]) // 4
    part = _pay(invoice, units)
    await TransferSink(db_pool, apply_invoices).emit(
        Facts("bsc", seen=[part], final=[part.tx_hash]))
    await _expire(db_pool, invoice["id"])
    refund = await client_api.post(f"/v1/invoices/{invoice['id']}/refunds",
                                   {"address": bsc_address()})
    assert refund.status == 200 and refund.body["amount_units"] == str(units), refund.body
    address = part.to_address.lower()
    async with db_pool.acquire() as conn:
        [row] = [r for r in await queries.holdings(conn, "bsc", 2**62, False)
                 if r["address"] == address]
        holding = Holding("bsc", "bsc:BNB", address, **{k: int(row[k]) for k in AMOUNTS})
        assert (holding.stranded, holding.refunded) == (0, units)
        wallet = RefundWallet("bsc", "bsc:BNB", WALLET,
                              Opening(10**18, datetime(2026, 1, 1, tzinfo=UTC)),
                              datetime.now(UTC), refunds_out=units, fees_out=21_000)
        run = await reconcile(
            conn, booked={}, holdings=[holding], wallets=[wallet],
            observations=[Observation("bsc", "bsc:BNB", address, units),
                          Observation("bsc", "bsc:BNB", WALLET, 10**18 - units - 21_000 + 5)])
    [line] = [ln for ln in run.lines if ln.kind == "refund_wallet"]
    assert (line.ledger_amount, line.chain_amount, line.difference) == (
        10**18 - units - 21_000, 10**18 - units - 21_000 + 5, 5)
    name = await make_user(db_pool, auth.Role.AUDITOR)
    async with client() as http:
        await sign_in(http, app_server.url, name)
        async with http.get(f"{app_server.url}/admin/reconciliation/{run.id}") as page:
            assert page.status == 200
            html = await page.text()
        async with http.get(
                f"{app_server.url}/admin/api/reconciliation/runs/{run.id}") as api:
            assert api.status == 200
            shown = await api.json()
    holdings = html[html.index('data-testid="run-holdings"'):]
    row_html = holdings[holdings.index(f"<code>{address}</code>"):]
    row_html = row_html[:row_html.index("</tr>")]
    cells = [cell.split(">")[-1] for cell in row_html.split("</td>")[:-1]][1:]
    assert cells == ["0", "0", "0", "0", str(units), "0", str(units), str(units), "0"]
    lines = html[html.index('data-testid="run-lines"'):html.index('data-testid="run-holdings"')]
    assert "refund_wallet" in lines and WALLET in lines
    [api_holding] = [h for h in shown["holdings"] if h["address"] == address]
    assert (api_holding["stranded"], api_holding["refunded"], api_holding["difference"]) == (
        "0", str(units), "0")
    [api_line] = [ln for ln in shown["lines"] if ln["kind"] == "refund_wallet"]
    assert (api_line["difference"], api_line["detail"]["refunds_out"],
            api_line["detail"]["fees_out"]) == ("5", str(units), "21000")


async def test_a_round_difference_is_shown_in_plain_digits(db_pool: asyncpg.Pool) -> None:
    """A numeric with trailing zero groups decodes as Decimal('-3.8E+16'): the stored run
    still shows plain base units (the console's amount formatting parses them)."""
    address = "0x00000000000000000000000000000000000fee02"
    async with db_pool.acquire() as conn:
        run = await reconcile(
            conn, observations=[Observation("bsc", "bsc:BNB", address, 0)], booked={},
            expected=[AddressExpectation("bsc", "bsc:BNB", address, 38 * 10**15)])
        shown = await get_run(conn, run.id)
    [line] = [ln for ln in shown["lines"] if ln["address"] == address]
    assert (line["ledger_amount"], line["chain_amount"], line["difference"]) == (
        str(38 * 10**15), "0", str(-38 * 10**15))
