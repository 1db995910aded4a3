"""SQL of the admin console: users, sessions, the audit log (0050-0051) and the read-only
lookups the pages need that no other domain offers (cross-merchant invoice search, a
merchant's API keys, unmatched payments with their decisions, an invoice's ledger entries).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from settlement.db import Conn

Row = asyncpg.Record

# --- users -------------------------------------------------------------------------------
INSERT_USER = """
INSERT INTO admin_users (id, username, password_hash, role) VALUES ($1, $2, $3, $4)
ON CONFLICT (username) DO NOTHING
RETURNING *
"""
SELECT_USER_BY_NAME = "SELECT * FROM admin_users WHERE username = $1"
# One statement, under the row lock: concurrent wrong guesses cannot slip past the count.
# Reaching the limit locks the account and restarts the count for after the lock.
RECORD_FAILURE = """
UPDATE admin_users
SET failed_attempts = CASE WHEN failed_attempts + 1 >= $2 THEN 0 ELSE failed_attempts + 1 END,
    locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN now() + $3::interval
                        ELSE locked_until END
WHERE id = $1
RETURNING failed_attempts, locked_until, locked_until > now() AS locked
"""
RECORD_SUCCESS = """
UPDATE admin_users SET failed_attempts = 0, locked_until = NULL, last_login_at = now()
WHERE id = $1
"""
UPDATE_PASSWORD = """
UPDATE admin_users SET password_hash = $2, failed_attempts = 0, locked_until = NULL
WHERE id = $1
RETURNING *
"""

# --- sessions ----------------------------------------------------------------------------
INSERT_SESSION = """
INSERT INTO admin_sessions (token_hash, user_id, csrf_token, expires_at, absolute_expires,
                            client_ip, user_agent)
VALUES ($1, $2, $3, now() + $4::interval, now() + $5::interval, $6, left($7, 400))
RETURNING expires_at
"""
# Look up and slide the idle expiry in one round trip; a disabled user's sessions die at once.
TOUCH_SESSION = """
UPDATE admin_sessions s
SET last_seen_at = now(), expires_at = least(now() + $2::interval, s.absolute_expires)
FROM admin_users u
WHERE s.token_hash = $1 AND s.expires_at > now() AND u.id = s.user_id AND NOT u.disabled
RETURNING s.user_id, u.username, u.role, s.csrf_token, s.expires_at
"""
DELETE_SESSION = "DELETE FROM admin_sessions WHERE token_hash = $1"
DELETE_USER_SESSIONS = "DELETE FROM admin_sessions WHERE user_id = $1"
DELETE_EXPIRED_SESSIONS = "DELETE FROM admin_sessions WHERE expires_at <= now()"

# --- audit log ---------------------------------------------------------------------------
INSERT_AUDIT = """
INSERT INTO admin_audit_log (actor_id, actor, action, target_type, target_id, before, after,
                             client_ip)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id, at
"""
# Newest first; the cursor is the id of the last row already shown (ids grow with time).
LIST_AUDIT = """
SELECT * FROM admin_audit_log
WHERE ($1::text IS NULL OR actor = $1)
  AND ($2::text IS NULL OR action LIKE $2 || '%')
  AND ($3::text IS NULL OR target_id = $3)
  AND ($4::bigint IS NULL OR id < $4)
ORDER BY id DESC
LIMIT $5
"""

# --- lookups for the pages ---------------------------------------------------------------
SEARCH_INVOICES = """
SELECT i.id, i.merchant_id, m.name AS merchant_name, i.status, i.exception, i.amount,
       i.amount_paid, i.order_id, i.created_at, i.expires_at
FROM invoices i JOIN merchants m ON m.id = i.merchant_id
WHERE ($1::text IS NULL OR i.id = $1)
  AND ($2::text IS NULL OR i.order_id = $2)
  AND ($3::text IS NULL OR i.status = $3)
  AND ($4::text IS NULL OR i.merchant_id = $4)
  AND ($5::timestamptz IS NULL OR i.created_at >= $5)
  AND ($6::timestamptz IS NULL OR i.created_at < $6)
  AND ($7::timestamptz IS NULL OR (i.created_at, i.id) < ($7, $8))
ORDER BY i.created_at DESC, i.id DESC
LIMIT $9
"""
SELECT_INVOICE_CURSOR = "SELECT created_at, id FROM invoices WHERE id = $1"
SELECT_MERCHANT_KEYS = """
SELECT id, prefix, last4, created_at, revoked_at FROM api_keys
WHERE merchant_id = $1 ORDER BY created_at DESC, id DESC
"""
SELECT_API_KEY = "SELECT id, merchant_id, prefix, last4, created_at, revoked_at " \
                 "FROM api_keys WHERE id = $1"
# Bank details and fees: the merchants domain offers create and status changes only.
UPDATE_MERCHANT_TERMS = """
UPDATE merchants SET name = $2, bin = $3, iban = $4, bic = $5, fee_bps = $6, fee_fixed = $7
WHERE id = $1
RETURNING *
"""
SELECT_LEDGER_ENTRIES = """
SELECT id, idempotency_key, kind, created_at, effective_date, reverses_entry_id
FROM journal_entries WHERE reference = $1 ORDER BY id
"""
SELECT_UNMATCHED = """
SELECT u.id, u.chain, u.tx_hash, u.log_index, u.block_number, u.asset, u.from_address,
       u.to_address, u.amount, u.invoice_id, u.status, u.disposition, u.detected_at,
       r.action, r.invoice_id AS assigned_invoice_id, r.note, r.resolved_at
FROM unmatched_payments u
LEFT JOIN unmatched_payment_resolutions r ON r.transfer_id = u.id::text
WHERE ($1::boolean OR r.transfer_id IS NULL)
ORDER BY u.detected_at DESC, u.id DESC
LIMIT $2
"""
SELECT_UNMATCHED_ONE = "SELECT * FROM unmatched_payments WHERE id = $1"


async def insert_user(conn: Conn, user_id: str, username: str, password_hash: str,
                      role: str) -> Row | None:
    """The new user; None when the username is taken."""
    row: Row | None = await conn.fetchrow(INSERT_USER, user_id, username, password_hash, role)
    return row


async def select_user_by_name(conn: Conn, username: str) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_USER_BY_NAME, username)
    return row


async def record_failure(conn: Conn, user_id: str, limit: int, lockout: timedelta) -> Row:
    row: Row | None = await conn.fetchrow(RECORD_FAILURE, user_id, limit, lockout)
    assert row is not None  # the caller just read this user
    return row


async def record_success(conn: Conn, user_id: str) -> None:
    await conn.execute(RECORD_SUCCESS, user_id)


async def update_password(conn: Conn, user_id: str, password_hash: str) -> Row | None:
    row: Row | None = await conn.fetchrow(UPDATE_PASSWORD, user_id, password_hash)
    return row


async def insert_session(conn: Conn, token_hash: bytes, user_id: str, csrf_token: str,
                         idle: timedelta, maximum: timedelta, client_ip: str | None,
                         user_agent: str | None) -> datetime:
    expires: datetime = await conn.fetchval(INSERT_SESSION, token_hash, user_id, csrf_token,
                                            idle, maximum, client_ip, user_agent)
    return expires


async def touch_session(conn: Conn, token_hash: bytes, idle: timedelta) -> Row | None:
    row: Row | None = await conn.fetchrow(TOUCH_SESSION, token_hash, idle)
    return row


async def delete_session(conn: Conn, token_hash: bytes) -> None:
    await conn.execute(DELETE_SESSION, token_hash)


async def delete_user_sessions(conn: Conn, user_id: str) -> None:
    await conn.execute(DELETE_USER_SESSIONS, user_id)


async def delete_expired_sessions(conn: Conn) -> None:
    await conn.execute(DELETE_EXPIRED_SESSIONS)


async def insert_audit(conn: Conn, values: Sequence[Any]) -> Row:
    """(actor_id, actor, action, target_type, target_id, before, after, client_ip)."""
    row: Row | None = await conn.fetchrow(INSERT_AUDIT, *values)
    assert row is not None  # INSERT ... RETURNING always yields its row
    return row


async def list_audit(conn: Conn, *, actor: str | None, action: str | None,
                     target_id: str | None, before_id: int | None, limit: int) -> list[Row]:
    return list(await conn.fetch(LIST_AUDIT, actor, action, target_id, before_id, limit))


async def search_invoices(conn: Conn, values: Sequence[Any], after: tuple[datetime, str] | None,
                          limit: int) -> list[Row]:
    """values: (invoice_id, order_id, status, merchant_id, created_from, created_before)."""
    after_at, after_id = after if after else (None, None)
    return list(await conn.fetch(SEARCH_INVOICES, *values, after_at, after_id, limit))


async def select_invoice_cursor(conn: Conn, invoice_id: str) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_INVOICE_CURSOR, invoice_id)
    return row


async def select_merchant_keys(conn: Conn, merchant_id: str) -> list[Row]:
    return list(await conn.fetch(SELECT_MERCHANT_KEYS, merchant_id))


async def select_api_key(conn: Conn, key_id: str) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_API_KEY, key_id)
    return row


async def update_merchant_terms(conn: Conn, merchant_id: str, values: Sequence[Any]) -> Row | None:
    """values: (name, bin, iban, bic, fee_bps, fee_fixed)."""
    row: Row | None = await conn.fetchrow(UPDATE_MERCHANT_TERMS, merchant_id, *values)
    return row


async def select_ledger_entries(conn: Conn, reference: str) -> list[Row]:
    return list(await conn.fetch(SELECT_LEDGER_ENTRIES, reference))


async def select_unmatched(conn: Conn, *, include_resolved: bool, limit: int) -> list[Row]:
    return list(await conn.fetch(SELECT_UNMATCHED, include_resolved, limit))


async def select_unmatched_one(conn: Conn, transfer_id: int) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_UNMATCHED_ONE, transfer_id)
    return row
