"""Administrator authentication: argon2id password hashes, server-side sessions, CSRF tokens,
lockout after repeated failures, and the two roles.

- Passwords are hashed with argon2id (argon2-cffi defaults, RFC 9106's low-memory profile);
  hashing and verifying run in a worker thread because each takes ~0.1 s of CPU. A sign-in
  for an unknown or disabled user still verifies against a dummy hash, so the answer time
  does not tell which usernames exist.
- A session is a random 256-bit token in a cookie; the database keeps only its SHA-256 with
  the user, a per-session CSRF token and two expiries (idle, sliding; absolute, fixed).
- Lockout: `lockout_attempts` consecutive failures lock the account for `lockout_seconds`.
  While locked even the right password is refused, and the refusal does not count.
- Roles: `admin` may change things; `auditor` only reads. Every mutating route calls
  `require_admin` on the server; hidden buttons are a courtesy, not the control.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gateway.admin import audit
from gateway.admin import queries as q
from gateway.admin.errors import (
    AccountLocked,
    AdminUserExists,
    InvalidForm,
    LoginFailed,
    RoleForbidden,
)
from gateway.config import AdminSettings
from gateway.merchants.ids import new_id
from settlement.db import Conn, db_now

_HASHER = PasswordHasher()
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10
# argon2 would take any length; a cap keeps a megabyte "password" from being a cheap DoS.
MAX_PASSWORD = 256
TOKEN_BYTES = 32
BAD_LOGIN = "Wrong username or password."


class Role(StrEnum):
    ADMIN = "admin"
    AUDITOR = "auditor"

    @property
    def can_change(self) -> bool:
        return self is Role.ADMIN


@dataclass(frozen=True)
class Session:
    """The signed-in user behind a request."""

    user_id: str
    username: str
    role: Role
    csrf_token: str
    expires_at: datetime

    @property
    def actor_name(self) -> str:
        return self.username


@dataclass(frozen=True)
class NewSession:
    token: str  # the cookie value: the only copy of it
    session: Session


def normalize_username(raw: str) -> str:
    name = raw.strip().lower()
    if not _USERNAME.match(name):
        raise InvalidForm("username", "2..64 of a-z, 0-9, '.', '_', '-', starting with a "
                                      "letter or digit")
    return name


def check_password_rules(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidForm("password", f"must be {MIN_PASSWORD}..{MAX_PASSWORD} characters")


def parse_role(raw: str) -> Role:
    try:
        return Role(raw)
    except ValueError as exc:
        raise InvalidForm("role", "must be admin or auditor") from exc


async def hash_password(password: str) -> str:
    check_password_rules(password)
    return await asyncio.to_thread(_HASHER.hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; None hashes verify a dummy (same cost) and fail."""
    if len(password) > MAX_PASSWORD:
        return False
    if password_hash is None:
        await asyncio.to_thread(_verify, await asyncio.to_thread(_dummy_hash), password)
        return False
    return await asyncio.to_thread(_verify, password_hash, password)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; an absent or short token never matches."""
    if not expected or not given or len(expected) < TOKEN_BYTES:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def require_admin(session: Session) -> None:
    if not session.role.can_change:
        raise RoleForbidden(f"{session.username} is an auditor: read-only access.")


async def create_user(conn: Conn, username: str, password: str, role: Role,
                      actor: audit.Actor = audit.CLI_ACTOR) -> str:
    """Create an administrator; returns its id. AdminUserExists when the name is taken."""
    name = normalize_username(username)
    password_hash = await hash_password(password)
    async with conn.transaction():
        row = await q.insert_user(conn, new_id("adm"), name, password_hash, role.value)
        if row is None:
            raise AdminUserExists(f"an administrator named {name!r} already exists")
        await audit.record(conn, actor, "admin_user.create", target_type="admin_user",
                           target_id=row["id"], after={"username": name, "role": role.value})
    user_id: str = row["id"]
    return user_id


async def set_password(conn: Conn, username: str, password: str,
                       actor: audit.Actor = audit.CLI_ACTOR) -> None:
    """Replace a password, clear any lock and end the user's sessions."""
    name = normalize_username(username)
    password_hash = await hash_password(password)
    async with conn.transaction():
        user = await q.select_user_by_name(conn, name)
        if user is None:
            raise InvalidForm("username", f"no administrator named {name!r}")
        await q.update_password(conn, user["id"], password_hash)
        await q.delete_user_sessions(conn, user["id"])
        await audit.record(conn, actor, "admin_user.set_password", target_type="admin_user",
                           target_id=user["id"], after={"username": name, "unlocked": True})


async def _refuse(conn: Conn, settings: AdminSettings, user: asyncpg.Record,
                  actor: audit.Actor) -> LoginFailed:
    """Count a failure (locking at the limit) and say what to answer."""
    async with conn.transaction():
        row = await q.record_failure(conn, user["id"], settings.lockout_attempts,
                                     settings.lockout)
        action = "auth.locked" if row["locked"] else "auth.login_failed"
        await audit.record(conn, actor, action, target_type="admin_user", target_id=user["id"],
                           after={"failed_attempts": row["failed_attempts"],
                                  "locked_until": row["locked_until"]})
    if row["locked"]:
        return _locked(row["locked_until"])
    return LoginFailed(BAD_LOGIN)


def _locked(until: datetime) -> AccountLocked:
    return AccountLocked(
        f"Too many failed sign-ins: this account is locked until "
        f"{until.strftime('%Y-%m-%d %H:%M')} UTC.", until)


async def sign_in(conn: Conn, settings: AdminSettings, username: str, password: str, *,
                  client_ip: str | None, user_agent: str | None) -> NewSession:
    """Check the credentials and open a session; LoginFailed / AccountLocked otherwise."""
    name = username.strip().lower()
    actor = audit.Actor(None, name[:100] or "-", client_ip)
    user = await q.select_user_by_name(conn, name) if _USERNAME.match(name) else None
    if user is None or user["disabled"]:
        await verify_password(None, password)
        raise LoginFailed(BAD_LOGIN)
    locked_until = user["locked_until"]
    if locked_until is not None and locked_until > await db_now(conn):
        raise _locked(locked_until)
    if not await verify_password(user["password_hash"], password):
        raise await _refuse(conn, settings, user, actor)
    return await _open_session(conn, settings, user, password, actor, user_agent)


async def _open_session(conn: Conn, settings: AdminSettings, user: asyncpg.Record,
                        password: str, actor: audit.Actor,
                        user_agent: str | None) -> NewSession:
    rehash = (await hash_password(password)
              if _HASHER.check_needs_rehash(user["password_hash"]) else None)
    token, csrf = new_token(), new_token()
    async with conn.transaction():
        await q.delete_expired_sessions(conn)
        await q.record_success(conn, user["id"])
        if rehash is not None:
            await q.update_password(conn, user["id"], rehash)
        expires = await q.insert_session(conn, token_hash(token), user["id"], csrf,
                                         settings.session_idle, settings.session_max,
                                         actor.client_ip, user_agent)
        await audit.record(conn, audit.Actor(user["id"], user["username"], actor.client_ip),
                           "auth.login", target_type="admin_user", target_id=user["id"])
    session = Session(user["id"], user["username"], Role(user["role"]), csrf, expires)
    return NewSession(token, session)


async def load_session(conn: Conn, settings: AdminSettings, token: str | None) -> Session | None:
    """The live session of a cookie value (sliding its idle expiry), or None."""
    if not token or len(token) > 100:
        return None
    row = await q.touch_session(conn, token_hash(token), settings.session_idle)
    if row is None:
        return None
    return Session(row["user_id"], row["username"], Role(row["role"]), row["csrf_token"],
                   row["expires_at"])


async def sign_out(conn: Conn, token: str, actor: audit.Actor) -> None:
    async with conn.transaction():
        await q.delete_session(conn, token_hash(token))
        await audit.record(conn, actor, "auth.logout", target_type="admin_user",
                           target_id=actor.id)
