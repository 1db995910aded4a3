"""SQL of merchants and API keys (tables in 0010_merchants.sql)."""

from __future__ import annotations

from typing import Any

import asyncpg

from settlement.db import Conn

Row = asyncpg.Record

INSERT_MERCHANT = """
INSERT INTO merchants (id, name, bin, iban, bic, fee_bps, fee_fixed, is_demo)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING *
"""
SELECT_MERCHANT = "SELECT * FROM merchants WHERE id = $1"
SELECT_DEMO_MERCHANT = "SELECT * FROM merchants WHERE is_demo"
LIST_MERCHANTS = "SELECT * FROM merchants ORDER BY created_at, id"
UPDATE_MERCHANT_STATUS = "UPDATE merchants SET status = $2 WHERE id = $1 RETURNING *"
UPDATE_REDIRECT_DOMAINS = """
UPDATE merchants SET redirect_domains = $2 WHERE id = $1 RETURNING *
"""

INSERT_API_KEY = """
INSERT INTO api_keys (id, merchant_id, key_hash, prefix, last4, livemode)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id, merchant_id, prefix, last4, created_at, revoked_at, livemode
"""
REVOKE_API_KEY = """
UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
RETURNING id, merchant_id, prefix, last4, created_at, revoked_at
"""
# The authentication lookup: one indexed probe on the unique hash, joined to the merchant.
SELECT_PRINCIPAL = """
SELECT k.id AS key_id, k.merchant_id, m.name AS merchant_name, m.status AS merchant_status,
       m.redirect_domains, k.livemode, m.accepted_assets, m.default_expires_in,
       m.tolerance_bps, m.tolerance_tiyn, m.late_accept_window
FROM api_keys k JOIN merchants m ON m.id = k.merchant_id
WHERE k.key_hash = $1 AND k.revoked_at IS NULL
"""

UPDATE_INVOICE_DEFAULTS = """
UPDATE merchants SET accepted_assets = $2, default_expires_in = $3, tolerance_bps = $4,
                     tolerance_tiyn = $5, late_accept_window = $6
WHERE id = $1
RETURNING *
"""


async def update_invoice_defaults(conn: Conn, merchant_id: str,
                                  values: tuple[Any, ...]) -> Row | None:
    row: Row | None = await conn.fetchrow(UPDATE_INVOICE_DEFAULTS, merchant_id, *values)
    return row


async def insert_merchant(conn: Conn, values: tuple[Any, ...]) -> Row:
    row: Row | None = await conn.fetchrow(INSERT_MERCHANT, *values)
    assert row is not None  # INSERT ... RETURNING always yields its row
    return row


async def select_merchant(conn: Conn, merchant_id: str) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_MERCHANT, merchant_id)
    return row


async def select_demo_merchant(conn: Conn) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_DEMO_MERCHANT)
    return row


async def list_merchants(conn: Conn) -> list[Row]:
    return list(await conn.fetch(LIST_MERCHANTS))


async def update_merchant_status(conn: Conn, merchant_id: str, status: str) -> Row | None:
    row: Row | None = await conn.fetchrow(UPDATE_MERCHANT_STATUS, merchant_id, status)
    return row


async def update_redirect_domains(conn: Conn, merchant_id: str,
                                  domains: list[str] | None) -> Row | None:
    row: Row | None = await conn.fetchrow(UPDATE_REDIRECT_DOMAINS, merchant_id, domains)
    return row


async def insert_api_key(
    conn: Conn, key_id: str, merchant_id: str, key_hash: bytes, prefix: str, last4: str,
    livemode: bool = True,
) -> Row:
    row: Row | None = await conn.fetchrow(
        INSERT_API_KEY, key_id, merchant_id, key_hash, prefix, last4, livemode
    )
    assert row is not None  # INSERT ... RETURNING always yields its row
    return row


async def revoke_api_key(conn: Conn, key_id: str) -> Row | None:
    row: Row | None = await conn.fetchrow(REVOKE_API_KEY, key_id)
    return row


async def select_principal(conn: Conn, key_hash: bytes) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_PRINCIPAL, key_hash)
    return row
