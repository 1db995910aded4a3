"""Point of sale: a merchant's named terminals, charges made on them, and a terminal's day.

"Charge" creates the invoice through the same invoice service (and the same parameter rules)
as `POST /v1/invoices`. The page makes a charge id once per charge; the invoice is created
under a transaction-scoped advisory lock on (terminal, charge id) and recorded against it, so
a double tap, or a retry after a dropped connection, finds the first invoice instead of
making a second one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Final

import asyncpg

from gateway.checkout import remainder
from gateway.invoices import service as invoices
from gateway.invoices.models import Invoice, PaymentOption
from gateway.invoices.params import Limits, parse_create
from gateway.merchants import service as merchants
from gateway.merchants.apikeys import Principal
from gateway.merchants.ids import new_id
from gateway.portal import queries as q
from gateway.portal import solana_pay
from gateway.portal.errors import InvalidForm, PageNotFound, UserExists
from gateway.portal.sales import day_bounds
from gateway.portal.service import Session, record
from settlement.db import Conn

CHARGE_ID: Final = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
TERMINAL_ID: Final = re.compile(r"^trm_[A-Za-z0-9]{8,64}$")
MAX_NAME: Final = 60


@dataclass(frozen=True)
class ChargeRequest:
    terminal_id: str
    charge_id: str
    amount: int                          # tiyn typed on the keypad (0: items only)
    note: str | None
    quantities: dict[str, int] = field(default_factory=dict)  # item id -> how many


MAX_QUANTITY: Final = 999


async def items(conn: Conn, merchant_id: str) -> list[asyncpg.Record]:
    return await q.list_items(conn, merchant_id)


async def create_item(conn: Conn, session: Session, name: str, price: str,
                      client_ip: str | None) -> str:
    clean = " ".join(name.split())
    if not 1 <= len(clean) <= MAX_NAME or not clean.isprintable():
        raise InvalidForm("name", f"must be 1..{MAX_NAME} printable characters")
    tiyn = parse_amount(price)
    async with conn.transaction():
        row = await q.insert_item(conn, new_id("itm"), session.merchant_id, clean, tiyn)
        if row is None:
            raise UserExists(f"An item named {clean!r} already exists.")
        await record(conn, session.merchant_id, session.actor(client_ip), "item.create",
                     target_type="item", target_id=row["id"],
                     after={"name": clean, "price": tiyn})
    item_id: str = row["id"]
    return item_id


async def archive_item(conn: Conn, session: Session, item_id: str,
                       client_ip: str | None) -> None:
    async with conn.transaction():
        row = await q.archive_item(conn, item_id, session.merchant_id)
        if row is None:
            raise PageNotFound("No such item.")
        await record(conn, session.merchant_id, session.actor(client_ip), "item.archive",
                     target_type="item", target_id=item_id, before={"name": row["name"]})


def parse_quantity(raw: str) -> int:
    text = raw.strip() or "0"
    if not text.isdigit() or int(text) > MAX_QUANTITY:
        raise InvalidForm("quantity", f"must be a whole number 0..{MAX_QUANTITY}")
    return int(text)


async def _priced(conn: Conn, merchant_id: str, req: ChargeRequest) -> tuple[int, str | None]:
    """The charge's total in tiyn (prices from the database) and its item line."""
    if not req.quantities:
        return req.amount, None
    known = {row["id"]: row for row in await q.list_items(conn, merchant_id)}
    lines, total = [], req.amount
    for item_id, quantity in req.quantities.items():
        item = known.get(item_id)
        if item is None:
            raise InvalidForm("items", "an item is no longer on sale: reload the page")
        if quantity:
            total += item["price"] * quantity
            lines.append(f"{quantity} × {item['name']}")
    return total, ", ".join(lines) or None


async def terminals(conn: Conn, merchant_id: str) -> list[asyncpg.Record]:
    return await q.list_terminals(conn, merchant_id)


async def terminal(conn: Conn, merchant_id: str, terminal_id: str) -> asyncpg.Record:
    row = (await q.select_terminal(conn, terminal_id, merchant_id)
           if TERMINAL_ID.match(terminal_id) else None)
    if row is None:
        raise PageNotFound("No such terminal.")
    return row


async def create_terminal(conn: Conn, session: Session, name: str,
                          client_ip: str | None) -> str:
    clean = " ".join(name.split())
    if not 1 <= len(clean) <= MAX_NAME or not clean.isprintable():
        raise InvalidForm("name", f"must be 1..{MAX_NAME} printable characters")
    async with conn.transaction():
        row = await q.insert_terminal(conn, new_id("trm"), session.merchant_id, clean)
        if row is None:
            raise UserExists(f"A terminal named {clean!r} already exists.")
        await record(conn, session.merchant_id, session.actor(client_ip), "terminal.create",
                     target_type="terminal", target_id=row["id"], after={"name": clean})
    terminal_id: str = row["id"]
    return terminal_id


def parse_amount(raw: str, *, optional: bool = False) -> int:
    """Keypad text in tenge ("1500", "1500.5", "1 500,50") as tiyn; never through a float.
    `optional`: blank is 0 (a charge of items only)."""
    text = raw.replace("\u2009", "").replace(" ", "").replace(",", ".")
    if optional and not text:
        return 0
    match = re.fullmatch(r"(\d{1,12})(?:\.(\d{1,2}))?", text)
    if match is None:
        raise InvalidForm("amount", "must be an amount in tenge, e.g. 1500 or 1500.50",
                          word="amount_format")
    tiyn = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if tiyn <= 0:
        raise InvalidForm("amount", "must be more than zero", word="amount_zero")
    return tiyn


async def charge(conn: Conn, deps: invoices.InvoiceDeps, limits: Limits, session: Session,
                 req: ChargeRequest) -> str:
    """The invoice of this charge: created now, or the one an earlier twin created."""
    if not CHARGE_ID.match(req.charge_id):
        raise InvalidForm("charge_id", "must be 16..64 of A-Z a-z 0-9 _ -")
    till = await terminal(conn, session.merchant_id, req.terminal_id)
    amount, item_line = await _priced(conn, session.merchant_id, req)
    if amount <= 0:
        raise InvalidForm("amount", "type an amount or choose items", word="amount_or_items")
    description = "; ".join(p for p in (item_line, req.note) if p) or str(till["name"])
    body = {"amount": amount, "currency": "KZT", "description": description,
            "metadata": {"terminal": req.terminal_id, "charge": req.charge_id}}
    defaults = await merchants.invoice_defaults(conn, session.merchant_id)
    params = parse_create(body, limits.for_merchant(defaults))
    caller = Principal(key_id=f"pos:{req.terminal_id}", merchant_id=session.merchant_id,
                       merchant_name=session.merchant_name,
                       merchant_status="active" if session.merchant_active else "suspended",
                       invoice_defaults=defaults)
    async with conn.transaction():
        await q.lock_charge(conn, req.terminal_id, req.charge_id)
        existing = await q.select_charge(conn, req.terminal_id, req.charge_id)
        if existing is not None:
            return existing
        created = await invoices.create_invoice(conn, deps, caller, params)
        assert isinstance(created, invoices.Created)  # no Idempotency-Key: always a new one
        invoice_id = created.invoice.id
        await q.insert_charge(conn, req.terminal_id, req.charge_id, invoice_id,
                              session.user_id)
        await record(conn, session.merchant_id, session.actor(None), "pos.charge",
                     target_type="invoice", target_id=invoice_id,
                     after={"terminal": req.terminal_id, "amount": amount})
    # The notice goes after the commit (gateway.invoices.notices says why).
    invoices.announce(deps, created)
    return invoice_id


@dataclass(frozen=True)
class ChargeView:
    terminal_name: str
    invoice: Invoice


async def charge_view(conn: Conn, merchant_id: str, invoice_id: str) -> ChargeView:
    row = await q.select_charge_invoice(conn, invoice_id, merchant_id)
    if row is None:
        raise PageNotFound("No such charge.")
    invoice = await invoices.get_invoice(conn, merchant_id, invoice_id)
    return ChargeView(row["terminal_name"], invoice)


@dataclass(frozen=True)
class StandView:
    """What the static sticker at a till shows: the terminal and its current charge."""

    terminal: asyncpg.Record
    invoice: Invoice | None


def stand_path(terminal_id: str) -> str:
    """The URL printed on a terminal's stand sticker (the terminal id: ~77 random bits)."""
    return f"/t/{terminal_id}"


def solana_pay_link(public_url: str, terminal_id: str) -> str:
    """The sticker's Solana Pay transaction request link (`solana:` + the https endpoint)."""
    return f"solana:{public_url}{stand_path(terminal_id)}/solana-pay"


async def stand(conn: Conn, terminal_id: str) -> StandView:
    row = (await q.select_public_terminal(conn, terminal_id)
           if TERMINAL_ID.match(terminal_id) else None)
    if row is None:
        raise PageNotFound("No such terminal.")
    invoice_id = await q.select_current_charge(conn, terminal_id)
    invoice = (None if invoice_id is None
               else await invoices.get_invoice(conn, row["merchant_id"], invoice_id))
    return StandView(row, invoice)


@dataclass(frozen=True)
class Payable:
    """What the customer is asked to pay now with one option: all of it, or the remainder
    after a partial payment (priced at the option's locked rate, rounded up)."""

    option: PaymentOption
    units: int
    uri: str
    remaining_tiyn: int
    partial: bool


def payable(invoice: Invoice, option: PaymentOption) -> Payable:
    if invoice.amount_paid <= 0:
        return Payable(option, option.amount_units, option.uri, invoice.amount, False)
    units = remainder.remaining_units(option, invoice.amount, invoice.amount_paid)
    return Payable(option, units, remainder.uri_for_units(option, units),
                   remainder.remaining_tiyn(invoice.amount, invoice.amount_paid), True)


def solana_payment(view: StandView, asset_id: str | None) -> solana_pay.Payment:
    """What a Solana wallet pays for the terminal's current charge (`asset_id` or the first
    Solana option), the remainder after a partial payment included."""
    inv = view.invoice
    if inv is None or inv.solana_reference is None or inv.solana_recipient is None:
        raise PageNotFound("No charge to pay with Solana on this terminal right now.")
    options = [o for o in inv.options if o.chain == "solana"]
    chosen = next((o for o in options if o.asset_id == asset_id), options[0] if options
                  else None)
    if chosen is None:
        raise PageNotFound("This charge takes no Solana asset.")
    units = payable(inv, chosen).units
    return solana_pay.Payment(inv.solana_recipient, inv.solana_reference, units, chosen.token,
                              chosen.decimals)


QR_TOKEN: Final = re.compile(r"^[A-Za-z0-9]{16,64}$")


def receipt_path(qr_token: str) -> str:
    """The shopper's own receipt link (public, unguessable: the invoice's QR token)."""
    return f"/r/{qr_token}"


async def public_receipt(conn: Conn, qr_token: str) -> asyncpg.Record:
    row = await q.select_receipt(conn, qr_token) if QR_TOKEN.match(qr_token) else None
    if row is None:
        raise PageNotFound("No such receipt.")
    return row


async def day_report(conn: Conn, merchant_id: str, terminal_id: str,
                     day: date) -> tuple[asyncpg.Record, list[asyncpg.Record]]:
    till = await terminal(conn, merchant_id, terminal_id)
    return till, await q.terminal_day(conn, terminal_id, *day_bounds(day))
