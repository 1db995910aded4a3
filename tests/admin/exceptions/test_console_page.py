"""The console's exceptions page: a stranded payment is listed with its age and value, and an
operator sets it aside for refund through the page (audited); a reconciliation run's page
shows its holdings per address, and a difference is acknowledged on the queue page."""

from __future__ import annotations

import asyncpg

from gateway.admin import auth
from gateway.chains.facts import Facts
from gateway.lifecycle.service import apply_invoices
from gateway.transfers.sink import TransferSink
from settlement.reconciliation.service import (
    AddressExpectation,
    Holding,
    Observation,
    reconcile,
)
from tests.admin.exceptions.test_queue import _expire, _invoice, _items, _pay
from tests.admin.test_api_access import make_user
from tests.admin.test_console_http import client, page_csrf, sign_in
from tests.plugins.app import ApiClient, RunningApp


async def test_operator_refunds_a_stranded_payment_from_the_page(
        client_api: ApiClient, app_server: RunningApp, db_pool: asyncpg.Pool) -> None:
    invoice = await _invoice(client_api, amount=100_000)
    part = _pay(invoice, int(invoice["payment_options"][0]["amount_units"]) // 4)
    await TransferSink(db_pool, apply_invoices).emit(
        Facts("bsc", seen=[part], final=[part.tx_hash]))
    await _expire(db_pool, invoice["id"])
    [item] = await _items(db_pool, invoice_id=invoice["id"])
    name = await make_user(db_pool, auth.Role.OPERATOR)
    async with client() as http:
        await sign_in(http, app_server.url, name)
        page_url = f"{app_server.url}/admin/exceptions?invoice={invoice['id']}"
        async with http.get(page_url) as page:
            assert page.status == 200
            html = await page.text()
        assert part.tx_hash in html and "stranded" in html and "Accept" in html
        token = await page_csrf(http, app_server.url)
        async with http.post(f"{app_server.url}/admin/exceptions/{item.key}/refund",
                             data={"csrf_token": token, "note": "asked"},
                             allow_redirects=False) as response:
            assert response.status in (302, 303), await response.text()
        async with http.get(page_url) as page:
            assert ">refund<" in await page.text()
    [after] = await _items(db_pool, invoice_id=invoice["id"])
    assert after.decision == "refund"


async def test_run_page_shows_holdings_and_a_difference_is_acknowledged_on_the_queue(
        app_server: RunningApp, db_pool: asyncpg.Pool) -> None:
    address = "0x00000000000000000000000000000000feedbeef"
    holding = Holding("bsc", "bsc:BNB", address, booked=3, stranded=2)
    async with db_pool.acquire() as conn:
        run = await reconcile(
            conn, observations=[Observation("bsc", "bsc:BNB", address, 9)], booked={},
            expected=[AddressExpectation("bsc", "bsc:BNB", address, 5)], holdings=[holding])
    seq = [ln.address for ln in run.lines].index(address) + 1
    name = await make_user(db_pool, auth.Role.OPERATOR)
    async with client() as http:
        await sign_in(http, app_server.url, name)
        async with http.get(f"{app_server.url}/admin/reconciliation/{run.id}") as page:
            assert page.status == 200
            html = await page.text()
        holdings = html[html.index('data-testid="run-holdings"'):]
        row = holdings[holdings.index(f"<code>{address}</code>"):]
        row = row[:row.index("</tr>")]
        assert [cell.split(">")[-1] for cell in row.split("</td>")[:-1]][1:] == [
            "3", "0", "2", "0", "0", "0", "5", "9", "4"]
        key = f"rec_{run.id}_{seq}"
        async with http.get(f"{app_server.url}/admin/exceptions?kind=reconciliation") as page:
            assert f"/admin/exceptions/{key}/acknowledge" in await page.text()
        token = await page_csrf(http, app_server.url)
        async with http.post(f"{app_server.url}/admin/exceptions/{key}/acknowledge",
                             data={"csrf_token": token, "note": "known"},
                             allow_redirects=False) as response:
            assert response.status in (302, 303), await response.text()
    [item] = [i for i in await _items(db_pool, kind="reconciliation") if i.key == key]
    assert item.decision == "acknowledge"


async def test_the_old_unmatched_page_leads_to_the_queue(app_server: RunningApp,
                                                         db_pool: asyncpg.Pool) -> None:
    name = await make_user(db_pool, auth.Role.AUDITOR)
    async with client() as http:
        await sign_in(http, app_server.url, name)
        for path, target in (("/admin/unmatched", "/admin/exceptions?decided=false"),
                             ("/admin/unmatched?all=1", "/admin/exceptions")):
            async with http.get(f"{app_server.url}{path}", allow_redirects=False) as moved:
                assert moved.status == 302
                assert moved.headers["Location"] == target
        async with http.get(f"{app_server.url}/admin/exceptions") as page:
            assert 'href="/admin/unmatched"' not in await page.text()
        token = await page_csrf(http, app_server.url)
        async with http.post(f"{app_server.url}/admin/unmatched/1/refund",
                             data={"csrf_token": token}, allow_redirects=False) as gone:
            assert gone.status in (404, 405)
