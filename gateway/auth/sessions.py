"""Server-side sign-in sessions, one set of rules for the console (`admin_sessions`) and the
merchant portal (`merchant_sessions`). No SQL and no HTTP here: each user store hands in its
own table's queries (`SessionTable`) and lifetimes; the cookie is set by its web layer.

The rules:
- A session is a random 256-bit token (gateway.auth.tokens) in an HttpOnly, SameSite=Strict
  cookie; the table keeps only its SHA-256, never the token, with the user, the session's
  own CSRF token and two expiries.
- Lifetime: `idle` slides forward on every request that loads the session (one UPDATE that
  reads and slides at once); `absolute` is fixed at opening and never moves. A session
  is dead at whichever comes first (an idle time longer than the absolute one is cut to
  it); a disabled user's sessions die at once (the table's
  TOUCH query joins the user).
- Rotation: every sign-in opens a NEW session with a new token and a new CSRF token; a token
  from before the sign-in (a pending second-factor session, or one planted in the
  browser) never becomes the signed-in session. The pending session is deleted when its
  code is accepted. Expired rows are swept whenever a session opens.
- CSRF binding: the CSRF token is per session, stored with it and compared in constant time
  (gateway.http.csrf) with the one a form or header sends; a session's token is useless
  with another session's cookie.
- A pending session (`mfa_pending`: password checked, TOTP code still due) has a short
  absolute lifetime of its own and lets in nothing but the code page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import asyncpg

from gateway.auth.tokens import new_token, token_hash
from settlement.db import Conn

# Longer cookie values are not ours: refused before any hashing or query.
MAX_TOKEN_LENGTH: Final = 100


@dataclass(frozen=True)
class Lifetime:
    """How long a session lives: `idle` since its last use, `absolute` since it opened."""

    idle: timedelta
    absolute: timedelta

    def bounded(self) -> Lifetime:
        """The idle time never reaches past the absolute end (the tables' CHECK)."""
        return Lifetime(min(self.idle, self.absolute), self.absolute)


@dataclass(frozen=True)
class SessionRow:
    """A session to store: the token's hash only, never the token."""

    token_hash: bytes
    user_id: str
    csrf_token: str
    lifetime: Lifetime
    client_ip: str | None
    user_agent: str | None
    mfa_pending: bool = False


@dataclass(frozen=True)
class SessionTable:
    """One user store's session queries (each a whole SQL constant in its queries.py)."""

    insert: Callable[[Conn, SessionRow], Awaitable[datetime]]  # -> expires_at
    # The live session of a token hash, its idle expiry slid by `idle`; None when dead.
    touch: Callable[[Conn, bytes, timedelta], Awaitable[asyncpg.Record | None]]
    delete: Callable[[Conn, bytes], Awaitable[None]]
    delete_expired: Callable[[Conn], Awaitable[None]]


@dataclass(frozen=True)
class Opened:
    token: str  # the cookie value: the only copy of it
    csrf_token: str
    expires_at: datetime


async def open_session(conn: Conn, table: SessionTable, user_id: str, lifetime: Lifetime, *,
                       client_ip: str | None, user_agent: str | None,
                       mfa_pending: bool = False) -> Opened:
    """A new session (new token, new CSRF token) for `user_id`; sweeps expired rows first.
    Run it inside the sign-in's transaction."""
    token, csrf = new_token(), new_token()
    await table.delete_expired(conn)
    expires = await table.insert(conn, SessionRow(token_hash(token), user_id, csrf,
                                                  lifetime.bounded(), client_ip, user_agent,
                                                  mfa_pending))
    return Opened(token, csrf, expires)


async def touch_session(conn: Conn, table: SessionTable, token: str | None,
                        idle: timedelta) -> asyncpg.Record | None:
    """The live session row of a cookie value (its idle expiry slid), or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return await table.touch(conn, token_hash(token), idle)


async def end_session(conn: Conn, table: SessionTable, token: str) -> None:
    """Forget the session of a cookie value (sign-out, or a pending session's last step)."""
    await table.delete(conn, token_hash(token))
