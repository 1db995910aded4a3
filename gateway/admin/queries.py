"""SQL of the administrators: users, sessions, API tokens and the audit log (migrations
0050-0053)."""

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
INSERT INTO admin_users (id, username, password_hash, role) VALUES ($1, $2, $3, $4)
ON CONFLICT (username) DO NOTHING
RETURNING *
"""
SELECT_USER_BY_NAME = "SELECT * FROM admin_users WHERE username = $1"
COUNT_ENABLED_ADMINS = "SELECT count(*) FROM admin_users WHERE role = 'admin' AND NOT disabled"
# Reserve one sign-in attempt before the password is checked, in one statement under the row
# lock: the attempt is counted as a failure now (success undoes it), so parallel guesses
# cannot all be checked, and the lock decision is taken here, atomically with the count.
# Locked, disabled and unknown users return no row (the caller answers them all the same).
# The attempt that reaches the limit locks the account and restarts the count for after it;
# `locks` tells that attempt apart.
RESERVE_ATTEMPT = """
UPDATE admin_users
SET failed_attempts = CASE WHEN failed_attempts + 1 >= $2 THEN 0 ELSE failed_attempts + 1 END,
    locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN now() + $3::interval
                        ELSE locked_until END
WHERE username = $1 AND NOT disabled AND (locked_until IS NULL OR locked_until <= now())
RETURNING id, username, password_hash, role, failed_attempts, locked_until,
          locked_until > now() AS locks, totp_secret, totp_last_step
"""
# A correct password signs in only if no other attempt locked the account meanwhile (the
# attempt that locked it, `$2`, may lift its own lock).
RECORD_SUCCESS = """
UPDATE admin_users SET failed_attempts = 0, locked_until = NULL, last_login_at = now()
WHERE id = $1 AND NOT disabled
  AND (locked_until IS NULL OR locked_until <= now() OR locked_until = $2)
RETURNING id
"""
# The per-address count: a new window once the old one is over.
RESERVE_ADDRESS_ATTEMPT = """
INSERT INTO admin_login_addresses AS a (client_ip, window_started_at, attempts)
VALUES ($1, now(), 1)
ON CONFLICT (client_ip) DO UPDATE
SET attempts = CASE WHEN a.window_started_at <= now() - $2::interval THEN 1
                    ELSE a.attempts + 1 END,
    window_started_at = CASE WHEN a.window_started_at <= now() - $2::interval THEN now()
                             ELSE a.window_started_at END
RETURNING attempts, window_started_at + $2::interval AS window_ends_at
"""
RELEASE_ADDRESS_ATTEMPT = """
UPDATE admin_login_addresses SET attempts = greatest(attempts - 1, 0) WHERE client_ip = $1
"""
UPDATE_PASSWORD = """
UPDATE admin_users SET password_hash = $2, failed_attempts = 0, locked_until = NULL
WHERE id = $1
RETURNING *
"""

# --- TOTP ------------------------------------------------------------------------------
# A code's time step is used at most once: a replayed (or older) code finds no row.
USE_TOTP_STEP = """
UPDATE admin_users SET totp_last_step = $2
WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)
RETURNING id
"""
SET_TOTP_PENDING = """
UPDATE admin_users SET totp_pending_secret = $2 WHERE id = $1 AND NOT disabled RETURNING id
"""
SELECT_TOTP = "SELECT totp_secret, totp_pending_secret FROM admin_users WHERE id = $1"
ENABLE_TOTP = """
UPDATE admin_users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL,
                       totp_last_step = $2
WHERE id = $1 AND totp_pending_secret = $3
RETURNING id
"""
DISABLE_TOTP = """
UPDATE admin_users SET totp_secret = NULL, totp_pending_secret = NULL, totp_last_step = NULL
WHERE username = $1
RETURNING id
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

# --- API tokens --------------------------------------------------------------------------
INSERT_API_TOKEN = """
INSERT INTO admin_api_tokens (id, user_id, name, scope, token_hash)
VALUES ($1, $2, $3, $4, $5)
RETURNING id, user_id, name, scope, created_at, last_used_at, revoked_at
"""
# Look up a live token of an enabled user and note its use, in one round trip.
TOUCH_API_TOKEN = """
UPDATE admin_api_tokens t SET last_used_at = now()
FROM admin_users u
WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.id = t.user_id AND NOT u.disabled
RETURNING t.id, t.user_id, u.username, u.role, t.scope
"""
REVOKE_API_TOKEN = """
UPDATE admin_api_tokens SET revoked_at = coalesce(revoked_at, now())
WHERE id = $1
RETURNING id, user_id, name, scope, created_at, last_used_at, revoked_at
"""
LIST_API_TOKENS = """
SELECT t.id, u.username, t.name, t.scope, t.created_at, t.last_used_at, t.revoked_at
FROM admin_api_tokens t JOIN admin_users u ON u.id = t.user_id
WHERE ($1::text IS NULL OR u.username = $1)
ORDER BY t.created_at, t.id
"""

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


async def insert_user(conn: Conn, user_id: str, username: str, password_hash: str,
                      role: str) -> Row | None:
    """The new user; None when the username is taken."""
    row: Row | None = await conn.fetchrow(INSERT_USER, user_id, username, password_hash, role)
    return row


async def select_user_by_name(conn: Conn, username: str) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_USER_BY_NAME, username)
    return row


async def count_enabled_admins(conn: Conn) -> int:
    count: int = await conn.fetchval(COUNT_ENABLED_ADMINS)
    return count


async def reserve_attempt(conn: Conn, username: str, limit: int, lockout: timedelta
                          ) -> Row | None:
    row: Row | None = await conn.fetchrow(RESERVE_ATTEMPT, username, limit, lockout)
    return row


async def record_success(conn: Conn, user_id: str, own_lock: datetime | None) -> bool:
    return await conn.fetchval(RECORD_SUCCESS, user_id, own_lock) is not None


async def reserve_address_attempt(conn: Conn, client_ip: str, window: timedelta) -> Row:
    row: Row | None = await conn.fetchrow(RESERVE_ADDRESS_ATTEMPT, client_ip, window)
    assert row is not None  # INSERT ... ON CONFLICT DO UPDATE ... RETURNING always yields
    return row


async def release_address_attempt(conn: Conn, client_ip: str) -> None:
    await conn.execute(RELEASE_ADDRESS_ATTEMPT, client_ip)


async def update_password(conn: Conn, user_id: str, password_hash: str) -> Row | None:
    row: Row | None = await conn.fetchrow(UPDATE_PASSWORD, user_id, password_hash)
    return row


async def insert_session(conn: Conn, row: SessionRow) -> datetime:
    # The console signs in in one step: it never opens a session pending a second factor.
    assert not row.mfa_pending
    expires: datetime = await conn.fetchval(
        INSERT_SESSION, row.token_hash, row.user_id, row.csrf_token, row.lifetime.idle,
        row.lifetime.absolute, row.client_ip, row.user_agent)
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


async def insert_api_token(conn: Conn, token_id: str, user_id: str, name: str, scope: str,
                           token_hash: bytes) -> Row:
    row: Row | None = await conn.fetchrow(INSERT_API_TOKEN, token_id, user_id, name, scope,
                                          token_hash)
    assert row is not None  # INSERT ... RETURNING always yields its row
    return row


async def touch_api_token(conn: Conn, token_hash: bytes) -> Row | None:
    row: Row | None = await conn.fetchrow(TOUCH_API_TOKEN, token_hash)
    return row


async def revoke_api_token(conn: Conn, token_id: str) -> Row | None:
    row: Row | None = await conn.fetchrow(REVOKE_API_TOKEN, token_id)
    return row


async def list_api_tokens(conn: Conn, username: str | None) -> list[Row]:
    return list(await conn.fetch(LIST_API_TOKENS, username))


async def insert_audit(conn: Conn, values: Sequence[Any]) -> Row:
    """(actor_id, actor, action, target_type, target_id, before, after, client_ip)."""
    row: Row | None = await conn.fetchrow(INSERT_AUDIT, *values)
    assert row is not None  # INSERT ... RETURNING always yields its row
    return row


async def list_audit(conn: Conn, *, actor: str | None, action: str | None,
                     target_id: str | None, before_id: int | None, limit: int) -> list[Row]:
    return list(await conn.fetch(LIST_AUDIT, actor, action, target_id, before_id, limit))


async def use_totp_step(conn: Conn, user_id: str, step: int) -> bool:
    return await conn.fetchval(USE_TOTP_STEP, user_id, step) is not None


async def set_totp_pending(conn: Conn, user_id: str, secret: str) -> bool:
    return await conn.fetchval(SET_TOTP_PENDING, user_id, secret) is not None


async def select_totp(conn: Conn, user_id: str) -> Row | None:
    row: Row | None = await conn.fetchrow(SELECT_TOTP, user_id)
    return row


async def enable_totp(conn: Conn, user_id: str, step: int, pending_secret: str) -> bool:
    return await conn.fetchval(ENABLE_TOTP, user_id, step, pending_secret) is not None


async def disable_totp(conn: Conn, username: str) -> Row | None:
    row: Row | None = await conn.fetchrow(DISABLE_TOTP, username)
    return row
