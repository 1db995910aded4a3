"""What the portal pages show, always for one merchant: today's figures (the day in
Asia/Almaty), invoice search and detail, payout batches and a statement for a period, API keys
and webhook endpoints. No SQL (queries.py), no HTTP.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import asyncpg

from gateway.errors import NotFound
from gateway.invoices import service as invoices
from gateway.invoices.models import Invoice
from gateway.invoices.states import InvoiceStatus
from gateway.merchants import service as merchants
from gateway.merchants.ids import INVOICE_ID
from gateway.portal import queries as q
from gateway.portal.errors import InvalidForm, PageNotFound
from gateway.portal.service import Actor, record
from gateway.webhooks import service as webhooks
from settlement.db import Conn
from settlement.reports import service as reports
from settlement.reports.errors import InvalidPeriod
from settlement.reports.render import ReportTable, statement_table, to_csv, to_pdf

ALMATY: Final = ZoneInfo("Asia/Almaty")
SEARCH_LIMIT: Final = 50
BATCHES_SHOWN: Final = 60
DELIVERIES_SHOWN: Final = 50
MAX_STATEMENT_DAYS: Final = 366


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a calendar day in Asia/Almaty, as aware datetimes."""
    start = datetime.combine(day, time(), ALMATY)
    return start, datetime.combine(day + timedelta(days=1), time(), ALMATY)


def today_almaty(now: datetime) -> date:
    return now.astimezone(ALMATY).date()


@dataclass(frozen=True)
class Today:
    day: date
    sales_count: int
    sales_total: int           # tiyn
    pending_count: int
    pending_total: int         # tiyn still to pay
    stranded_count: int
    stranded_total: int        # tiyn
    next_payout: asyncpg.Record | None


async def today(conn: Conn, merchant_id: str, now: datetime) -> Today:
    day = today_almaty(now)
    sales = await q.sales_between(conn, merchant_id, *day_bounds(day))
    pending = await q.pending_invoices(conn, merchant_id)
    stranded = await q.stranded(conn, merchant_id)
    return Today(day, sales["count"], sales["total"], pending["count"], pending["total"],
                 stranded["count"], stranded["total"], await q.next_payout(conn, merchant_id))


def parse_status(raw: str | None) -> str | None:
    if not raw:
        return None
    if raw not in {s.value for s in InvoiceStatus}:
        raise InvalidForm("status", "unknown invoice status")
    return raw


async def search(conn: Conn, merchant_id: str, text: str | None,
                 status: str | None) -> list[asyncpg.Record]:
    return await q.search_invoices(conn, merchant_id, (text or "").strip()[:200] or None,
                                   parse_status(status), SEARCH_LIMIT)


@dataclass(frozen=True)
class InvoiceDetail:
    invoice: Invoice
    payments: list[asyncpg.Record]
    events: list[asyncpg.Record]


async def invoice_detail(conn: Conn, merchant_id: str, invoice_id: str) -> InvoiceDetail:
    if not INVOICE_ID.match(invoice_id):
        raise PageNotFound("No such invoice.")
    try:
        invoice = await invoices.get_invoice(conn, merchant_id, invoice_id)
    except NotFound as exc:
        raise PageNotFound("No such invoice.") from exc
    return InvoiceDetail(invoice, await q.invoice_payments(conn, invoice_id),
                         await q.invoice_events(conn, invoice_id, merchant_id))


async def batches(conn: Conn, merchant_id: str) -> list[asyncpg.Record]:
    return await q.list_batches(conn, merchant_id, BATCHES_SHOWN)


def parse_period(start: str | None, end: str | None, now: datetime) -> tuple[date, date]:
    """The statement's first and last day (inclusive); default: this month so far."""
    today_ = today_almaty(now)
    try:
        first = date.fromisoformat(start) if start else today_.replace(day=1)
        last = date.fromisoformat(end) if end else today_
    except ValueError as exc:
        raise InvalidForm("period", "dates must be YYYY-MM-DD") from exc
    if last < first or (last - first).days > MAX_STATEMENT_DAYS:
        raise InvalidForm("period", f"must run forward and span at most {MAX_STATEMENT_DAYS} "
                                    "days")
    return first, last


async def statement(conn: Conn, merchant_id: str, first: date, last: date) -> ReportTable:
    """The merchant's statement of Almaty days first..last: the operator's report
    (settlement.reports), so both read the same figures."""
    start, _ = day_bounds(first)
    _, end = day_bounds(last)
    try:
        found = await reports.statement(conn, merchant_id, start, end)
    except InvalidPeriod as exc:
        raise InvalidForm("period", str(exc)) from exc
    return statement_table(found)


async def statement_file(conn: Conn, merchant_id: str, first: date, last: date,
                         fmt: str) -> tuple[bytes, str]:
    """The statement as CSV or PDF bytes and their content type."""
    table = await statement(conn, merchant_id, first, last)
    if fmt == "pdf":
        return await asyncio.to_thread(to_pdf, table), "application/pdf"
    return to_csv(table).encode(), "text/csv"


@dataclass(frozen=True)
class Developers:
    keys: list[asyncpg.Record]
    endpoints: list[asyncpg.Record]
    deliveries: list[asyncpg.Record]


async def developer_view(conn: Conn, merchant_id: str) -> Developers:
    return Developers(await q.list_keys(conn, merchant_id),
                      await q.list_webhook_endpoints(conn, merchant_id),
                      await q.list_deliveries(conn, merchant_id, DELIVERIES_SHOWN))


async def redeliver(conn: Conn, merchant_id: str, event_id: str, actor: Actor) -> None:
    """Queue the event again to every endpoint (the webhooks domain's own redelivery)."""
    async with conn.transaction():
        try:
            ids = await webhooks.redeliver(conn, merchant_id, event_id, None)
        except NotFound as exc:
            raise PageNotFound("No such event.") from exc
        await record(conn, merchant_id, actor, "webhook.redeliver", target_type="event",
                     target_id=event_id, after={"deliveries": ids})


async def create_key(conn: Conn, merchant_id: str, pepper: str, actor: Actor, *,
                     livemode: bool = True) -> merchants.IssuedKey:
    """A new API key (`livemode` False: a ccp_test_ key for test invoices)."""
    async with conn.transaction():
        issued = await merchants.issue_api_key(conn, merchant_id, pepper, livemode=livemode)
        await record(conn, merchant_id, actor, "api_key.create", target_type="api_key",
                     target_id=issued.id, after={"prefix": issued.prefix,
                                                 "last4": issued.last4, "livemode": livemode})
    return issued


async def revoke_key(conn: Conn, merchant_id: str, key_id: str, actor: Actor) -> None:
    async with conn.transaction():
        row = await q.select_key(conn, key_id, merchant_id)
        if row is None:
            raise PageNotFound("No such API key.")
        await merchants.revoke_api_key(conn, key_id)
        await record(conn, merchant_id, actor, "api_key.revoke", target_type="api_key",
                     target_id=key_id)
