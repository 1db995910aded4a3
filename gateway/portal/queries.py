"""SQL of the merchant portal and point of sale (tables in 0080_merchant_portal.sql) and the
read-only views of other domains' rows that its pages need, always scoped to one merchant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from gateway.auth.sessions import SessionRow
from settlement.db import Conn

Row = asyncpg.Record

# --- users -------------------------------------------------------------------------------
INSERT_USER = """
INSERT INTO merchant_users (id, merchant_id, email, role, password_hash)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (email) DO NOTHING
RETURNING *
"""
SELECT_USER_BY_EMAIL = "SELECT * FROM merchant_users WHERE email = $1"
SELECT_USER = "SELECT * FROM merchant_users WHERE id = $1 AND merchant_id = $2"
LIST_USERS = """
SELECT id, email, role, disabled, totp_secret IS NOT NULL AS totp, created_at, last_login_at,
       locked_until > now() AS locked
FROM merchant_users WHERE merchant_id = $1 ORDER BY created_at, id
"""
# Every sign-in attempt is counted here BEFORE its password is checked, in one statement under
# the row lock, so parallel guesses are all counted. A locked account keeps its count and lock;
# an expired lock starts a new count at this attempt; the attempt beyond the limit locks.
RESERVE_ATTEMPT = """
UPDATE merchant_users SET
  failed_attempts = CASE
    WHEN locked_until > now() THEN failed_attempts
    WHEN locked_until IS NOT NULL THEN 1
    ELSE failed_attempts + 1 END,
  locked_until = CASE
    WHEN locked_until > now() THEN locked_until
    WHEN (CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failed_attempts + 1 END) > $2
      THEN now() + $3::interval
    ELSE NULL END
WHERE id = $1
RETURNING failed_attempts, coalesce(locked_until > now(), false) AS locked
"""
# A right password (and code) counts only if no attempt locked the account in the meantime.
CONFIRM_SUCCESS = """
UPDATE merchant_users SET failed_attempts = 0, locked_until = NULL, last_login_at = now()
WHERE id = $1 AND NOT disabled AND (locked_until IS NULL OR locked_until <= now())
RETURNING id
"""
SELECT_UNLOCKED = """
SELECT id FROM merchant_users
WHERE id = $1 AND NOT disabled AND (locked_until IS NULL OR locked_until <= now())
"""
UPDATE_ROLE = """
UPDATE merchant_users SET role = $3 WHERE id = $1 AND merchant_id = $2 RETURNING *
"""
UPDATE_DISABLED = """
UPDATE merchant_users SET disabled = $3 WHERE id = $1 AND merchant_id = $2 RETURNING *
"""
UPDATE_TOTP = "UPDATE merchant_users SET totp_secret = $2, totp_last_step = NULL WHERE id = $1"
# A TOTP code is accepted once: its time step must be newer than the last accepted one.
USE_TOTP_STEP = """
UPDATE merchant_users SET totp_last_step = $2
WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)
RETURNING id
"""

# --- invites -----------------------------------------------------------------------------
INSERT_INVITE = """
INSERT INTO merchant_invites (token_hash, merchant_id, email, role, invited_by, expires_at)
VALUES ($1, $2, $3, $4, $5, now() + $6::interval)
RETURNING merchant_id, email, role, created_at, expires_at
"""
SELECT_OPEN_INVITE = """
SELECT i.*, m.name AS merchant_name FROM merchant_invites i JOIN merchants m ON m.id = i.merchant_id
WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.expires_at > now()
"""
# One statement: of two tabs accepting one link, exactly one gets the row.
CLAIM_INVITE = """
UPDATE merchant_invites SET used_at = now()
WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
RETURNING *
"""
SET_INVITE_USER = "UPDATE merchant_invites SET user_id = $2 WHERE token_hash = $1"
LIST_OPEN_INVITES = """
SELECT email, role, created_at, expires_at FROM merchant_invites
WHERE merchant_id = $1 AND used_at IS NULL AND expires_at > now()
ORDER BY created_at DESC
"""

# --- sessions ----------------------------------------------------------------------------
INSERT_SESSION = """
INSERT INTO merchant_sessions (token_hash, user_id, csrf_token, mfa_pending, expires_at,
                               absolute_expires, client_ip, user_agent)
VALUES ($1, $2, $3, $4, now() + $5::interval, now() + $6::interval, $7, left($8, 400))
RETURNING expires_at
"""
# Look up and slide the idle expiry in one round trip; a disabled user's or a suspended
# merchant's sessions stop at once.
TOUCH_SESSION = """
UPDATE merchant_sessions s
SET last_seen_at = now(), expires_at = least(now() + $2::interval, s.absolute_expires)
FROM merchant_users u JOIN merchants m ON m.id = u.merchant_id
WHERE s.token_hash = $1 AND s.expires_at > now() AND u.id = s.user_id AND NOT u.disabled
RETURNING s.user_id, u.email, u.role, u.merchant_id, m.name AS merchant_name,
          m.status AS merchant_status, s.csrf_token, s.mfa_pending, s.expires_at
"""
DELETE_SESSION = "DELETE FROM merchant_sessions WHERE token_hash = $1"
DELETE_USER_SESSIONS = "DELETE FROM merchant_sessions WHERE user_id = $1"
DELETE_EXPIRED_SESSIONS = "DELETE FROM merchant_sessions WHERE expires_at <= now()"

# --- audit log ---------------------------------------------------------------------------
INSERT_AUDIT = """
INSERT INTO merchant_audit_log (merchant_id, actor_id, actor, action, target_type, target_id,
                                before, after, client_ip)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING id
"""
LIST_AUDIT = """
SELECT * FROM merchant_audit_log
WHERE merchant_id = $1 AND ($2::bigint IS NULL OR id < $2)
ORDER BY id DESC LIMIT $3
"""

# --- today -------------------------------------------------------------------------------
# Sales of a day: invoices that became settled in [$2, $3).
SALES_BETWEEN = """
SELECT count(*) AS count, coalesce(sum(amount), 0)::bigint AS total
FROM invoices
WHERE merchant_id = $1 AND status = 'settled' AND status_changed_at >= $2
  AND status_changed_at < $3
"""
PENDING_INVOICES = """
SELECT count(*) AS count, coalesce(sum(amount - amount_paid), 0)::bigint AS total
FROM invoices WHERE merchant_id = $1 AND status IN ('new', 'processing') AND expires_at > now()
"""
# Money that arrived but is not a sale: partial, late or over-payments waiting for a decision.
STRANDED = """
SELECT count(*) AS count, coalesce(sum(amount_paid), 0)::bigint AS total
FROM invoices
WHERE merchant_id = $1 AND amount_paid > 0
  AND (status IN ('expired', 'invalid', 'cancelled') OR exception = 'paid_over')
"""
NEXT_PAYOUT = """
SELECT id, business_day, status::text AS status, net, payout_amount
FROM settlement_batches
WHERE merchant_id = $1 AND status::text NOT IN ('paid', 'failed')
ORDER BY business_day LIMIT 1
"""

# --- invoices ----------------------------------------------------------------------------
SEARCH_INVOICES = """
SELECT id, status, exception, amount, amount_paid, order_id, description, created_at,
       expires_at
FROM invoices
WHERE merchant_id = $1
  AND ($2::text IS NULL OR id = $2 OR order_id = $2 OR description ILIKE '%' || $2 || '%')
  AND ($3::text IS NULL OR status = $3)
ORDER BY created_at DESC, id DESC
LIMIT $4
"""
INVOICE_PAYMENTS = """
SELECT chain, tx_hash, asset, amount, status, block_time
FROM chain_transfers WHERE invoice_id = $1 ORDER BY id
"""
INVOICE_EVENTS = """
SELECT id, type, created_at FROM events
WHERE invoice_id = $1 AND merchant_id = $2 ORDER BY created_at, id
"""

# --- payouts -----------------------------------------------------------------------------
LIST_BATCHES = """
SELECT id, business_day, status::text AS status, invoice_count, gross, fees, refunds, net,
       payout_amount, bank_reference, exported_at, paid_at, failed_at, failure_reason
FROM settlement_batches WHERE merchant_id = $1
ORDER BY business_day DESC LIMIT $2
"""
# --- developers --------------------------------------------------------------------------
LIST_KEYS = """
SELECT id, prefix, last4, created_at, revoked_at, livemode FROM api_keys
WHERE merchant_id = $1 ORDER BY created_at DESC, id DESC
"""
SELECT_KEY = "SELECT id, revoked_at FROM api_keys WHERE id = $1 AND merchant_id = $2"
LIST_WEBHOOK_ENDPOINTS = """
SELECT id, url, description, enabled_events, status, created_at, livemode
FROM webhook_endpoints
WHERE merchant_id = $1 AND status <> 'deleted' ORDER BY created_at DESC, id DESC
"""
# The delivery log: the merchant's latest webhook deliveries with their event and endpoint;
# the mode shown is the event's (a test invoice's events are test events).
LIST_DELIVERIES = """
SELECT d.id, d.event_id, e.type AS event_type, e.livemode, w.url, d.status, d.attempt_count,
       d.created_at, d.finished_at
FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
JOIN webhook_endpoints w ON w.id = d.endpoint_id
WHERE d.merchant_id = $1
ORDER BY d.created_at DESC, d.id DESC LIMIT $2
"""

SELECT_REDIRECT_DOMAINS = "SELECT redirect_domains FROM merchants WHERE id = $1"

# --- point of sale -----------------------------------------------------------------------
INSERT_TERMINAL = """
INSERT INTO pos_terminals (id, merchant_id, name) VALUES ($1, $2, $3)
ON CONFLICT (merchant_id, name) DO NOTHING
RETURNING *
"""
LIST_TERMINALS = """
SELECT * FROM pos_terminals WHERE merchant_id = $1 AND archived_at IS NULL ORDER BY name
"""
SELECT_TERMINAL = """
SELECT * FROM pos_terminals WHERE id = $1 AND merchant_id = $2 AND archived_at IS NULL
"""
INSERT_ITEM = """
INSERT INTO pos_items (id, merchant_id, name, price) VALUES ($1, $2, $3, $4)
ON CONFLICT (merchant_id, name) WHERE archived_at IS NULL DO NOTHING
RETURNING *
"""
LIST_ITEMS = """
SELECT id, name, price FROM pos_items WHERE merchant_id = $1 AND archived_at IS NULL
ORDER BY name
"""
ARCHIVE_ITEM = """
UPDATE pos_items SET archived_at = now()
WHERE id = $1 AND merchant_id = $2 AND archived_at IS NULL
RETURNING name
"""
# Serialises the twins of one charge (double tap, retry) until the first commits.
LOCK_CHARGE = "SELECT pg_advisory_xact_lock(hashtextextended('pos:' || $1 || ':' || $2, 0))"
SELECT_CHARGE = "SELECT invoice_id FROM pos_charges WHERE terminal_id = $1 AND charge_id = $2"
INSERT_CHARGE = """
INSERT INTO pos_charges (terminal_id, charge_id, invoice_id, cashier_id) VALUES ($1, $2, $3, $4)
"""
SELECT_CHARGE_INVOICE = """
SELECT c.terminal_id, t.name AS terminal_name, c.created_at AS charged_at, i.*
FROM pos_charges c JOIN pos_terminals t ON t.id = c.terminal_id
JOIN invoices i ON i.id = c.invoice_id
WHERE c.invoice_id = $1 AND t.merchant_id = $2
"""
# The stand sticker's page: the terminal's newest charge while it is open (waiting or being
# confirmed), and for a few seconds after it settled, so the paying shopper's page sees it
# through to the receipt.
SELECT_CURRENT_CHARGE = """
SELECT c.invoice_id FROM pos_charges c JOIN invoices i ON i.id = c.invoice_id
WHERE c.terminal_id = $1
  AND ((i.status = 'new' AND i.expires_at > now()) OR i.status = 'processing'
       OR (i.status = 'settled' AND i.status_changed_at > now() - interval '20 seconds'))
ORDER BY c.created_at DESC LIMIT 1
"""
SELECT_PUBLIC_TERMINAL = """
SELECT t.id, t.name, t.merchant_id, m.name AS merchant_name
FROM pos_terminals t JOIN merchants m ON m.id = t.merchant_id
WHERE t.id = $1 AND t.archived_at IS NULL
"""
# The public receipt a shopper keeps: found by the invoice's unguessable QR token, POS only.
SELECT_RECEIPT = """
SELECT i.id, i.amount, i.status, i.description, i.created_at, i.status_changed_at,
       i.qr_token,
       t.name AS terminal_name, m.name AS merchant_name
FROM invoices i JOIN pos_charges c ON c.invoice_id = i.id
JOIN pos_terminals t ON t.id = c.terminal_id JOIN merchants m ON m.id = t.merchant_id
WHERE i.qr_token = $1
"""
# The day report of a terminal: settled charges by the asset that paid them.
TERMINAL_DAY = """
SELECT coalesce(p.asset, '-') AS asset, count(*) AS count,
       coalesce(sum(i.amount), 0)::bigint AS total
FROM pos_charges c JOIN invoices i ON i.id = c.invoice_id
LEFT JOIN LATERAL (SELECT asset FROM chain_transfers t WHERE t.invoice_id = i.id
                   ORDER BY t.id LIMIT 1) p ON true
WHERE c.terminal_id = $1 AND i.status = 'settled' AND c.created_at >= $2 AND c.created_at < $3
GROUP BY 1 ORDER BY 1
"""


async def _row(conn: Conn, sql: str, *args: Any) -> Row | None:
    row: Row | None = await conn.fetchrow(sql, *args)
    return row


async def _rows(conn: Conn, sql: str, *args: Any) -> list[Row]:
    return list(await conn.fetch(sql, *args))


async def _inserted(conn: Conn, sql: str, *args: Any) -> Row:
    row = await _row(conn, sql, *args)
    assert row is not None  # INSERT ... RETURNING always yields its row
    return row


async def insert_user(conn: Conn, values: Sequence[Any]) -> Row | None:
    return await _row(conn, INSERT_USER, *values)


async def select_user_by_email(conn: Conn, email: str) -> Row | None:
    return await _row(conn, SELECT_USER_BY_EMAIL, email)


async def select_user(conn: Conn, user_id: str, merchant_id: str) -> Row | None:
    return await _row(conn, SELECT_USER, user_id, merchant_id)


async def list_users(conn: Conn, merchant_id: str) -> list[Row]:
    return await _rows(conn, LIST_USERS, merchant_id)


async def reserve_attempt(conn: Conn, user_id: str, limit: int, lockout: timedelta) -> Row:
    return await _inserted(conn, RESERVE_ATTEMPT, user_id, limit, lockout)


async def confirm_success(conn: Conn, user_id: str) -> bool:
    return await _row(conn, CONFIRM_SUCCESS, user_id) is not None


async def still_unlocked(conn: Conn, user_id: str) -> bool:
    return await _row(conn, SELECT_UNLOCKED, user_id) is not None


async def update_role(conn: Conn, user_id: str, merchant_id: str, role: str) -> Row | None:
    return await _row(conn, UPDATE_ROLE, user_id, merchant_id, role)


async def update_disabled(conn: Conn, user_id: str, merchant_id: str,
                          disabled: bool) -> Row | None:
    return await _row(conn, UPDATE_DISABLED, user_id, merchant_id, disabled)


async def update_totp(conn: Conn, user_id: str, secret: str | None) -> None:
    await conn.execute(UPDATE_TOTP, user_id, secret)


async def use_totp_step(conn: Conn, user_id: str, step: int) -> bool:
    return await _row(conn, USE_TOTP_STEP, user_id, step) is not None


async def insert_invite(conn: Conn, token_hash: bytes, merchant_id: str, email: str, role: str,
                        invited_by: str | None, ttl: timedelta) -> Row:
    return await _inserted(conn, INSERT_INVITE, token_hash, merchant_id, email, role,
                           invited_by, ttl)


async def select_open_invite(conn: Conn, token_hash: bytes) -> Row | None:
    return await _row(conn, SELECT_OPEN_INVITE, token_hash)


async def claim_invite(conn: Conn, token_hash: bytes) -> Row | None:
    return await _row(conn, CLAIM_INVITE, token_hash)


async def set_invite_user(conn: Conn, token_hash: bytes, user_id: str) -> None:
    await conn.execute(SET_INVITE_USER, token_hash, user_id)


async def list_open_invites(conn: Conn, merchant_id: str) -> list[Row]:
    return await _rows(conn, LIST_OPEN_INVITES, merchant_id)


async def insert_session(conn: Conn, s: SessionRow) -> datetime:
    row = await _inserted(conn, INSERT_SESSION, s.token_hash, s.user_id, s.csrf_token,
                          s.mfa_pending, s.lifetime.idle, s.lifetime.absolute, s.client_ip,
                          s.user_agent)
    expires: datetime = row["expires_at"]
    return expires


async def touch_session(conn: Conn, token_hash: bytes, idle: timedelta) -> Row | None:
    return await _row(conn, TOUCH_SESSION, token_hash, idle)


async def delete_session(conn: Conn, token_hash: bytes) -> None:
    await conn.execute(DELETE_SESSION, token_hash)


async def delete_user_sessions(conn: Conn, user_id: str) -> None:
    await conn.execute(DELETE_USER_SESSIONS, user_id)


async def delete_expired_sessions(conn: Conn) -> None:
    await conn.execute(DELETE_EXPIRED_SESSIONS)


async def insert_audit(conn: Conn, values: Sequence[Any]) -> int:
    row = await _inserted(conn, INSERT_AUDIT, *values)
    audit_id: int = row["id"]
    return audit_id


async def list_audit(conn: Conn, merchant_id: str, before_id: int | None,
                     limit: int) -> list[Row]:
    return await _rows(conn, LIST_AUDIT, merchant_id, before_id, limit)


async def sales_between(conn: Conn, merchant_id: str, start: datetime, end: datetime) -> Row:
    return await _inserted(conn, SALES_BETWEEN, merchant_id, start, end)


async def pending_invoices(conn: Conn, merchant_id: str) -> Row:
    return await _inserted(conn, PENDING_INVOICES, merchant_id)


async def stranded(conn: Conn, merchant_id: str) -> Row:
    return await _inserted(conn, STRANDED, merchant_id)


async def next_payout(conn: Conn, merchant_id: str) -> Row | None:
    return await _row(conn, NEXT_PAYOUT, merchant_id)


async def search_invoices(conn: Conn, merchant_id: str, text: str | None, status: str | None,
                          limit: int) -> list[Row]:
    return await _rows(conn, SEARCH_INVOICES, merchant_id, text, status, limit)


async def invoice_payments(conn: Conn, invoice_id: str) -> list[Row]:
    return await _rows(conn, INVOICE_PAYMENTS, invoice_id)


async def invoice_events(conn: Conn, invoice_id: str, merchant_id: str) -> list[Row]:
    return await _rows(conn, INVOICE_EVENTS, invoice_id, merchant_id)


async def list_batches(conn: Conn, merchant_id: str, limit: int) -> list[Row]:
    return await _rows(conn, LIST_BATCHES, merchant_id, limit)


async def list_keys(conn: Conn, merchant_id: str) -> list[Row]:
    return await _rows(conn, LIST_KEYS, merchant_id)


async def select_key(conn: Conn, key_id: str, merchant_id: str) -> Row | None:
    return await _row(conn, SELECT_KEY, key_id, merchant_id)


async def list_webhook_endpoints(conn: Conn, merchant_id: str) -> list[Row]:
    return await _rows(conn, LIST_WEBHOOK_ENDPOINTS, merchant_id)


async def list_deliveries(conn: Conn, merchant_id: str, limit: int) -> list[Row]:
    return await _rows(conn, LIST_DELIVERIES, merchant_id, limit)


async def select_redirect_domains(conn: Conn, merchant_id: str) -> list[str] | None:
    domains: list[str] | None = await conn.fetchval(SELECT_REDIRECT_DOMAINS, merchant_id)
    return domains


async def insert_terminal(conn: Conn, terminal_id: str, merchant_id: str,
                          name: str) -> Row | None:
    return await _row(conn, INSERT_TERMINAL, terminal_id, merchant_id, name)


async def list_terminals(conn: Conn, merchant_id: str) -> list[Row]:
    return await _rows(conn, LIST_TERMINALS, merchant_id)


async def select_terminal(conn: Conn, terminal_id: str, merchant_id: str) -> Row | None:
    return await _row(conn, SELECT_TERMINAL, terminal_id, merchant_id)


async def insert_item(conn: Conn, item_id: str, merchant_id: str, name: str,
                      price: int) -> Row | None:
    return await _row(conn, INSERT_ITEM, item_id, merchant_id, name, price)


async def list_items(conn: Conn, merchant_id: str) -> list[Row]:
    return await _rows(conn, LIST_ITEMS, merchant_id)


async def archive_item(conn: Conn, item_id: str, merchant_id: str) -> Row | None:
    return await _row(conn, ARCHIVE_ITEM, item_id, merchant_id)


async def lock_charge(conn: Conn, terminal_id: str, charge_id: str) -> None:
    await conn.execute(LOCK_CHARGE, terminal_id, charge_id)


async def select_charge(conn: Conn, terminal_id: str, charge_id: str) -> str | None:
    invoice_id: str | None = await conn.fetchval(SELECT_CHARGE, terminal_id, charge_id)
    return invoice_id


async def insert_charge(conn: Conn, terminal_id: str, charge_id: str, invoice_id: str,
                        cashier_id: str) -> None:
    await conn.execute(INSERT_CHARGE, terminal_id, charge_id, invoice_id, cashier_id)


async def select_charge_invoice(conn: Conn, invoice_id: str, merchant_id: str) -> Row | None:
    return await _row(conn, SELECT_CHARGE_INVOICE, invoice_id, merchant_id)


async def select_current_charge(conn: Conn, terminal_id: str) -> str | None:
    invoice_id: str | None = await conn.fetchval(SELECT_CURRENT_CHARGE, terminal_id)
    return invoice_id


async def select_public_terminal(conn: Conn, terminal_id: str) -> Row | None:
    return await _row(conn, SELECT_PUBLIC_TERMINAL, terminal_id)


async def select_receipt(conn: Conn, qr_token: str) -> Row | None:
    return await _row(conn, SELECT_RECEIPT, qr_token)


async def terminal_day(conn: Conn, terminal_id: str, start: datetime,
                       end: datetime) -> list[Row]:
    return await _rows(conn, TERMINAL_DAY, terminal_id, start, end)
