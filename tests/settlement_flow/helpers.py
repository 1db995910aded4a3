"""Builders for settlement tests: unique merchants, ledger entries as the watcher books them."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from settlement import ledger
from settlement.batches.calendar import CutoffCalendar
from settlement.booking import invoice_settlement_postings
from settlement.db import Conn
from settlement.ledger import JournalEntry
from settlement.money import KZT, Currency, Money, currency
from settlement.payouts.bin import make_bin
from settlement.payouts.iban import make_kz_iban
from settlement.payouts.pain001 import Party


def merchant_id() -> str:
    return f"mch_{secrets.token_hex(8)}"


def payee(name: str = "Shop LLP") -> Party:
    """Valid KZ bank details with a fresh account number."""
    account = f"KZT{secrets.randbelow(10**10):010d}"
    return Party(name=name, iban=make_kz_iban("722", account), bic="CASPKZKA",
                 bin=make_bin("04084000123"))


def debtor() -> Party:
    return Party(name="CryptoCity Operator LLP", iban=make_kz_iban("601", "0000000000001"),
                 bic="HSBKKZKX", bin=make_bin("19014000001"))


async def settle_invoice(
    conn: Conn, merchant: str, *, asset: str | Currency = "bsc:USDT", units: int,
    kzt_gross: int, fee: int,
) -> JournalEntry:
    """One settled invoice, booked exactly as the watcher books it."""
    cur = asset if isinstance(asset, Currency) else currency(asset)
    invoice_id = f"inv_{secrets.token_hex(8)}"
    return await ledger.post(
        conn, idempotency_key=f"invoice:{invoice_id}:settlement", kind="invoice_settlement",
        postings=invoice_settlement_postings(merchant_id=merchant, received=Money(units, cur),
                                             kzt_gross=kzt_gross, fee=fee),
        reference=invoice_id,
        metadata={"invoice_id": invoice_id, "merchant_id": merchant, "chain": cur.chain,
                  "asset": cur.symbol, "amount_units": str(units), "kzt_gross": kzt_gross,
                  "fee": fee, "rate": "0"},
    )


async def refund(conn: Conn, merchant: str, amount: int) -> JournalEntry:
    """A refund charged to the merchant: the tenge owed to it goes back to the FX position."""
    return await ledger.post(
        conn, idempotency_key=f"refund:{secrets.token_hex(8)}", kind="invoice_refund",
        postings=[ledger.debit(ledger.merchant_payable(merchant), Money(amount, KZT)),
                  ledger.credit(ledger.fx_position(KZT), Money(amount, KZT))],
    )


async def db_now(conn: Conn) -> datetime:
    value: datetime = await conn.fetchval("SELECT clock_timestamp()")
    return value


def calendar_ending_at(instant: datetime, zone: str = "Asia/Almaty") -> CutoffCalendar:
    """A calendar whose cut-off is `instant`'s local time of day: a business day ends then."""
    base = CutoffCalendar.create(zone)
    local = instant.astimezone(base.zone)
    offset = timedelta(hours=local.hour, minutes=local.minute, seconds=local.second,
                       microseconds=local.microsecond)
    return CutoffCalendar.create(zone, offset)


async def payable(conn: Conn, merchant: str) -> int:
    return (await ledger.balance(conn, ledger.merchant_payable(merchant).code)).amount
