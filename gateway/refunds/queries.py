"""SQL of refunds and their sources (tables in 0090_refunds.sql).

Status changes are guarded twice: `WHERE status = $expected` here (a concurrent move makes
the UPDATE return nothing) and the refunds_transition trigger (RF001).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import asyncpg

from settlement.db import Conn

Row = asyncpg.Record

INSERT_REFUND = """
INSERT INTO refunds (id, merchant_id, invoice_id, livemode, status, amount, stranded_amount,
                     sale_amount, chain, asset, stranded_units, sale_units, amount_units,
                     rate_kind, rate, address, claim_token, reason)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
RETURNING *
"""
INSERT_SOURCES = """
INSERT INTO refund_sources (refund_id, transfer_id, units)
SELECT $1, t.transfer_id, t.units
FROM unnest($2::bigint[], $3::numeric[]) AS t(transfer_id, units)
"""
# `livemode` ($3) NULL: either mode (the portal); the API passes its key's mode, so a refund
# of the other mode is as missing as an unknown id.
SELECT_REFUND = """
SELECT * FROM refunds
WHERE id = $1 AND merchant_id = $2 AND ($3::boolean IS NULL OR livemode = $3)"""
SELECT_REFUND_FOR_UPDATE = SELECT_REFUND + " FOR UPDATE"
SELECT_REFUND_ANY_MERCHANT_FOR_UPDATE = "SELECT * FROM refunds WHERE id = $1 FOR UPDATE"
SELECT_BY_CLAIM_TOKEN = "SELECT * FROM refunds WHERE claim_token = $1"
SELECT_BY_CLAIM_TOKEN_FOR_UPDATE = SELECT_BY_CLAIM_TOKEN + " FOR UPDATE"
# Units of each transfer of the invoice held by live refunds ($2: the live statuses).
HELD_UNITS = """
SELECT s.transfer_id, sum(s.units) AS units
FROM refund_sources s JOIN refunds r ON r.id = s.refund_id
WHERE r.invoice_id = $1 AND r.status = ANY($2::text[])
GROUP BY s.transfer_id
"""
# Tiyn held by live refunds of the invoice, per asset (NULL: a sale refund awaiting its asset).
HELD_AMOUNTS = """
SELECT asset, sum(stranded_amount)::bigint AS stranded, sum(sale_amount)::bigint AS sale
FROM refunds WHERE invoice_id = $1 AND status = ANY($2::text[])
GROUP BY asset
"""
SELECT_CURSOR = """
SELECT created_at, id FROM refunds
WHERE id = $1 AND merchant_id = $2 AND ($3::boolean IS NULL OR livemode = $3)"""
# Newest first; the cursor is the (created_at, id) of the last refund already seen.
LIST_REFUNDS = """
SELECT * FROM refunds
WHERE merchant_id = $1
  AND ($2::text IS NULL OR invoice_id = $2)
  AND ($3::text IS NULL OR status = $3)
  AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5))
  AND ($7::boolean IS NULL OR livemode = $7)
ORDER BY created_at DESC, id DESC
LIMIT $6
"""
# The zone console's list: every merchant, optionally one status, newest first.
LIST_ALL_REFUNDS = """
SELECT * FROM refunds
WHERE ($1::text IS NULL OR status = $1)
  AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
ORDER BY created_at DESC, id DESC
LIMIT $4
"""
SELECT_ANY_CURSOR = "SELECT created_at, id FROM refunds WHERE id = $1"
SET_STATUS = """
UPDATE refunds SET status = $3 WHERE id = $1 AND status = $2 RETURNING *
"""
DECIDE = """
UPDATE refunds SET status = $3, decided_by = $4, decided_at = now(), failure_reason = $5
WHERE id = $1 AND status = $2
RETURNING *
"""
CLAIM = """
UPDATE refunds SET status = $3, chain = $4, asset = $5, address = $6, sale_units = $7,
                   amount_units = $8, rate = $9
WHERE id = $1 AND status = $2
RETURNING *
"""


async def insert_refund(conn: Conn, values: Sequence[object]) -> Row:
    """INSERT_REFUND with its 18 values in column order."""
    row: Row | None = await conn.fetchrow(INSERT_REFUND, *values)
    assert row is not None  # INSERT ... RETURNING always returns its row
    return row


async def insert_sources(conn: Conn, refund_id: str, transfer_ids: Sequence[int],
                         units: Sequence[int]) -> None:
    await conn.execute(INSERT_SOURCES, refund_id, list(transfer_ids),
                       [Decimal(u) for u in units])


async def select_refund(conn: Conn, refund_id: str, merchant_id: str, *,
                        livemode: bool | None = None) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_REFUND, refund_id, merchant_id, livemode)
    return row


async def select_refund_for_update(conn: Conn, refund_id: str, merchant_id: str, *,
                                   livemode: bool | None = None) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_REFUND_FOR_UPDATE, refund_id, merchant_id,
                                          livemode)
    return row


async def select_refund_any_merchant_for_update(conn: Conn, refund_id: str) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_REFUND_ANY_MERCHANT_FOR_UPDATE, refund_id)
    return row


async def select_by_claim_token(conn: Conn, token: str, *, for_update: bool) -> Row | None:
    sql = SELECT_BY_CLAIM_TOKEN_FOR_UPDATE if for_update else SELECT_BY_CLAIM_TOKEN
    row: Row | None = await conn.fetchrow(sql, token)
    return row


async def held_units(conn: Conn, invoice_id: str, live: Sequence[str]) -> list[Row]:
    return list(await conn.fetch(HELD_UNITS, invoice_id, list(live)))


async def held_amounts(conn: Conn, invoice_id: str, live: Sequence[str]) -> list[Row]:
    return list(await conn.fetch(HELD_AMOUNTS, invoice_id, list(live)))


async def select_cursor(conn: Conn, refund_id: str, merchant_id: str | None, *,
                        livemode: bool | None = None) -> Row | None:
    if merchant_id is None:
        any_row: Row | None = await conn.fetchrow(SELECT_ANY_CURSOR, refund_id)
        return any_row
    row: Row | None = await conn.fetchrow(SELECT_CURSOR, refund_id, merchant_id, livemode)
    return row


async def list_refunds(conn: Conn, merchant_id: str, *, invoice_id: str | None,
                       status: str | None, after: tuple[datetime, str] | None,
                       limit: int, livemode: bool | None = None) -> list[Row]:
    after_at, after_id = after if after else (None, None)
    return list(await conn.fetch(LIST_REFUNDS, merchant_id, invoice_id, status, after_at,
                                 after_id, limit, livemode))


async def list_all_refunds(conn: Conn, *, status: str | None,
                           after: tuple[datetime, str] | None, limit: int) -> list[Row]:
    after_at, after_id = after if after else (None, None)
    return list(await conn.fetch(LIST_ALL_REFUNDS, status, after_at, after_id, limit))


async def set_status(conn: Conn, refund_id: str, expected: str, target: str) -> Row | None:
    row: Row | None = await conn.fetchrow(SET_STATUS, refund_id, expected, target)
    return row


async def decide(conn: Conn, refund_id: str, expected: str, target: str, admin: str,
                 reason: str | None) -> Row | None:
    row: Row | None = await conn.fetchrow(DECIDE, refund_id, expected, target, admin, reason)
    return row


async def claim(conn: Conn, refund_id: str, expected: str, target: str, *, chain: str,
                asset_id: str, address: str, sale_units: int, amount_units: int,
                rate: Decimal | None) -> Row | None:
    row: Row | None = await conn.fetchrow(
        CLAIM, refund_id, expected, target, chain, asset_id, address, Decimal(sale_units),
        Decimal(amount_units), rate)
    return row
