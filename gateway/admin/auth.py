"""Administrator authentication: argon2id password hashes, server-side sessions, CSRF tokens,
lockout after repeated failures, and the two roles.

- Passwords are hashed with argon2id (argon2-cffi defaults, RFC 9106's low-memory profile);
  hashing and verifying run in a worker thread because each takes ~0.1 s of CPU. A sign-in
  for an unknown or disabled user still verifies against a dummy hash, so the answer time
  does not tell which usernames exist.
- A session is a random 256-bit token in a cookie; the database keeps only its SHA-256 with
  the user, a per-session CSRF token and two expiries (idle, sliding; absolute, fixed).
  The rules are gateway.auth.sessions' (shared with the merchant portal); the table is
  admin_sessions, the lifetimes ADMIN_SESSION_IDLE / ADMIN_SESSION_MAX.
- Lockout (the flow is gateway.auth.lockout's, shared with the portal; admin_users' SQL
  counts): `lockout_attempts` consecutive failures lock the account for `lockout_seconds`.
  Each attempt is reserved (counted as a failure, the lock decided) in one UPDATE before the
  slow password check and undone by a success, so parallel guesses beyond the limit are
  refused unchecked, and a right password whose check ends after another attempt locked
  the account does not sign in. While locked even the right password is refused.
  Unknown, disabled and locked users all get the one `BAD_LOGIN` answer, after the same
  work, so the answer does not tell which usernames exist or are locked.
- Per client address, at most `ADDRESS_LIMIT.attempts` failed (or in-flight) sign-ins per
  window, whichever usernames they try; beyond it `LoginThrottled` (429) before any check.
- Roles: `admin` may change everything; `operator` runs settlement (batches, payout files,
  reconciliation, unmatched payments, treasury) but not merchants or accounts; `auditor`
  only reads. Every mutating route calls `require_admin` or `require_operator` on the
  server; hidden buttons are a courtesy, not the control.
- TOTP (optional, RFC 6238 via pyotp): an administrator enrols from the console (the secret
  is shown once, as an otpauth URI and its QR code, and confirmed with a first code); from
  then on a sign-in needs the current code too. A wrong or missing code is a failed attempt
  like a wrong password (same answer, same lockout count); each code's time step signs in
  at most once. `admin totp-reset` (CLI) removes it for a user who lost the device.
- API tokens (for the JSON API under /admin/api): a random 256-bit secret shown once at
  creation; the database keeps its SHA-256. A token acts as its user (role and `disabled`
  read on every call), or as an auditor when scoped `read`; revoking it ends it at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

import asyncpg

from gateway.admin import audit
from gateway.admin import queries as q
from gateway.admin.errors import (
    AdminUserExists,
    InvalidForm,
    LoginFailed,
    LoginThrottled,
    RoleForbidden,
)
from gateway.auth import passwords, sessions
from gateway.auth.lockout import Attempt, Lockout
from gateway.auth.passwords import MAX_PASSWORD, MIN_PASSWORD, verify_password
from gateway.auth.sessions import Lifetime, SessionTable
from gateway.auth.tokens import new_token, token_hash
from gateway.auth.totp import new_secret, provisioning_uri, totp_step
from gateway.config import AdminSettings
from gateway.log import get_logger
from gateway.merchants.ids import new_id
from settlement.db import Conn

log = get_logger(__name__)
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
BAD_LOGIN = ("Wrong username or password, or the account is locked after too many failed "
             "sign-ins.")


API_TOKEN_PREFIX = "ccpadm_"


@dataclass(frozen=True)
class AddressLimit:
    """Sign-in failures allowed per client address per window."""

    attempts: int = 30
    window: timedelta = timedelta(minutes=15)


ADDRESS_LIMIT = AddressLimit()


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    AUDITOR = "auditor"

    @property
    def can_change(self) -> bool:
        """Merchants, their keys and bank details, administrator accounts."""
        return self is Role.ADMIN

    @property
    def can_operate(self) -> bool:
        """Settlement: close days, export and mark payouts, reconcile, resolve, convert."""
        return self in (Role.ADMIN, Role.OPERATOR)


class TokenScope(StrEnum):
    READ = "read"  # acts as an auditor whatever the user's role
    WRITE = "write"  # acts with the user's role


class Principal(Protocol):
    """Who is signed in: a console session or an API token."""

    @property
    def user_id(self) -> str: ...

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> Role: ...


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
class TokenCaller:
    """The user behind an API token (with the role the token's scope allows)."""

    user_id: str
    username: str
    role: Role
    token_id: str


@dataclass(frozen=True)
class IssuedToken:
    id: str
    username: str
    name: str
    scope: TokenScope
    secret: str  # the only copy: shown once, stored hashed


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
        raise InvalidForm("role", "must be admin, operator or auditor") from exc


async def hash_password(password: str) -> str:
    check_password_rules(password)
    return await passwords.hash_password(password)


def require_admin(who: Principal) -> None:
    if not who.role.can_change:
        raise RoleForbidden(f"{who.username} is an {who.role.value}: this needs an admin.")


def require_operator(who: Principal) -> None:
    if not who.role.can_operate:
        raise RoleForbidden(f"{who.username} is an {who.role.value}: read-only access.")


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


async def command_line_admin(conn: Conn, username: str, password: str) -> audit.Actor:
    """The named, enabled `admin` whose password this is: the CLI acts as them where an
    anonymous `cli` actor is not enough (deciding four-eyes approvals)."""
    user = await q.select_user_by_name(conn, username.strip().lower())
    ok = await verify_password(None if user is None else user["password_hash"], password)
    if user is None or not ok or user["disabled"]:
        raise LoginFailed(BAD_LOGIN)
    if not Role(user["role"]).can_change:
        raise RoleForbidden(f"{user['username']} is an {user['role']}: this needs an admin.")
    return audit.Actor(user["id"], user["username"], None)


async def _reserve_address(conn: Conn, client_ip: str | None, limit: AddressLimit) -> None:
    if client_ip is None:
        return
    row = await q.reserve_address_attempt(conn, client_ip[:100], limit.window)
    if row["attempts"] > limit.attempts:
        log.warning("admin_login_throttled", client_ip=client_ip, attempts=row["attempts"])
        raise LoginThrottled(
            f"Too many sign-in attempts from this address: try again after "
            f"{row['window_ends_at'].strftime('%H:%M')} UTC.")


# The console's sessions live in admin_sessions (gateway.auth.sessions has the rules).
SESSIONS = SessionTable(q.insert_session, q.touch_session, q.delete_session,
                        q.delete_expired_sessions)


def _lockout(settings: AdminSettings, actor: audit.Actor) -> Lockout:
    """admin_users' side of the lockout flow (gateway.auth.lockout has the rules): a locked
    account's attempts find no row; the attempt that locks may lift its own lock."""

    async def reserve(conn: Conn, name: str) -> Attempt | None:
        if not _USERNAME.match(name):
            return None
        row = await q.reserve_attempt(conn, name, settings.lockout_attempts, settings.lockout)
        return None if row is None else Attempt(row, row["password_hash"],
                                                row["failed_attempts"], row["locks"])

    async def confirm(conn: Conn, attempt: Attempt) -> bool:
        own_lock = attempt.user["locked_until"] if attempt.locked else None
        return await q.record_success(conn, attempt.user["id"], own_lock)

    async def record(conn: Conn, attempt: Attempt, action: str) -> None:
        await audit.record(conn, actor, action, target_type="admin_user",
                           target_id=attempt.user["id"],
                           after={"failed_attempts": attempt.failed_attempts,
                                  "locked_until": attempt.user["locked_until"]})

    return Lockout(reserve, confirm, record, lambda: LoginFailed(BAD_LOGIN))


async def sign_in(conn: Conn, settings: AdminSettings, username: str, password: str, *,
                  client_ip: str | None, user_agent: str | None, otp: str | None = None,
                  address_limit: AddressLimit = ADDRESS_LIMIT) -> NewSession:
    """Check the credentials (and the TOTP code of an enrolled user) and open a session;
    LoginFailed (one message for every refusal) or LoginThrottled otherwise."""
    name = username.strip().lower()
    actor = audit.Actor(None, name[:100] or "-", client_ip)
    await _reserve_address(conn, client_ip, address_limit)
    guard = _lockout(settings, actor)
    attempt = await guard.check_password(conn, name, password)
    step = None
    if attempt.user["totp_secret"] is not None:
        step = totp_step(attempt.user["totp_secret"], otp)
        if step is None:
            raise await guard.refuse(conn, attempt)
    return await _open_session(conn, settings, guard, attempt, password, actor, user_agent,
                               step)


async def _open_session(conn: Conn, settings: AdminSettings, guard: Lockout, attempt: Attempt,
                        password: str, actor: audit.Actor, user_agent: str | None,
                        totp_step_used: int | None) -> NewSession:
    user = attempt.user
    rehash = (await hash_password(password)
              if passwords.needs_rehash(user["password_hash"]) else None)
    async with conn.transaction():
        await guard.confirm_unlocked(conn, attempt)
        if totp_step_used is not None and not await q.use_totp_step(conn, user["id"],
                                                                    totp_step_used):
            raise LoginFailed(BAD_LOGIN)  # this code already signed in once
        if actor.client_ip is not None:
            await q.release_address_attempt(conn, actor.client_ip[:100])
        if rehash is not None:
            await q.update_password(conn, user["id"], rehash)
        opened = await sessions.open_session(
            conn, SESSIONS, user["id"], Lifetime(settings.session_idle, settings.session_max),
            client_ip=actor.client_ip, user_agent=user_agent)
        await audit.record(conn, audit.Actor(user["id"], user["username"], actor.client_ip),
                           "auth.login", target_type="admin_user", target_id=user["id"])
    session = Session(user["id"], user["username"], Role(user["role"]), opened.csrf_token,
                      opened.expires_at)
    return NewSession(opened.token, session)


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str  # base32, shown once
    uri: str  # otpauth://totp/...: what authenticator apps scan


async def start_totp(conn: Conn, who: Principal) -> TotpEnrolment:
    """A new secret for `who`, pending until `confirm_totp` sees a first code from it."""
    secret = new_secret()
    if not await q.set_totp_pending(conn, who.user_id, secret):
        raise InvalidForm("username", "no active administrator")
    return TotpEnrolment(secret, provisioning_uri(secret, who.username))


async def totp_enabled(conn: Conn, user_id: str) -> bool:
    row = await q.select_totp(conn, user_id)
    return row is not None and row["totp_secret"] is not None


async def confirm_totp(conn: Conn, actor: audit.Actor, code: str) -> None:
    """Turn on TOTP with the pending secret once `code` proves the device has it."""
    assert actor.id is not None  # a signed-in administrator
    row = await q.select_totp(conn, actor.id)
    pending = None if row is None else row["totp_pending_secret"]
    step = None if pending is None else totp_step(pending, code)
    if pending is None or step is None:
        raise InvalidForm("code", "does not match: scan the code again and enter the current "
                                  "6 digits")
    async with conn.transaction():
        if not await q.enable_totp(conn, actor.id, step, pending):
            raise InvalidForm("code", "the enrolment changed meanwhile: start again")
        await audit.record(conn, actor, "admin_user.totp_enable", target_type="admin_user",
                           target_id=actor.id, after={"totp": True})


async def reset_totp(conn: Conn, username: str, actor: audit.Actor = audit.CLI_ACTOR) -> None:
    """Remove a user's TOTP (a lost device): the password alone signs in again."""
    name = normalize_username(username)
    async with conn.transaction():
        row = await q.disable_totp(conn, name)
        if row is None:
            raise InvalidForm("username", f"no administrator named {name!r}")
        await audit.record(conn, actor, "admin_user.totp_reset", target_type="admin_user",
                           target_id=row["id"], after={"totp": False})


async def load_session(conn: Conn, settings: AdminSettings, token: str | None) -> Session | None:
    """The live session of a cookie value (sliding its idle expiry), or None."""
    row = await sessions.touch_session(conn, SESSIONS, token, settings.session_idle)
    if row is None:
        return None
    return Session(row["user_id"], row["username"], Role(row["role"]), row["csrf_token"],
                   row["expires_at"])


async def sign_out(conn: Conn, token: str, actor: audit.Actor) -> None:
    async with conn.transaction():
        await sessions.end_session(conn, SESSIONS, token)
        await audit.record(conn, actor, "auth.logout", target_type="admin_user",
                           target_id=actor.id)


async def create_api_token(conn: Conn, username: str, name: str, scope: TokenScope,
                           actor: audit.Actor = audit.CLI_ACTOR) -> IssuedToken:
    """A new API token for `username`; its secret is returned once and stored hashed."""
    user_name = normalize_username(username)
    label = name.strip()
    if not 1 <= len(label) <= 100:
        raise InvalidForm("name", "1..100 characters")
    secret = API_TOKEN_PREFIX + new_token()
    async with conn.transaction():
        user = await q.select_user_by_name(conn, user_name)
        if user is None or user["disabled"]:
            raise InvalidForm("username", f"no active administrator named {user_name!r}")
        row = await q.insert_api_token(conn, new_id("admtok"), user["id"], label, scope.value,
                                       token_hash(secret))
        await audit.record(conn, actor, "admin_token.create", target_type="admin_token",
                           target_id=row["id"], after={**dict(row.items()),
                                                       "username": user_name})
    return IssuedToken(row["id"], user_name, label, scope, secret)


async def revoke_api_token(conn: Conn, token_id: str,
                           actor: audit.Actor = audit.CLI_ACTOR) -> None:
    async with conn.transaction():
        row = await q.revoke_api_token(conn, token_id)
        if row is None:
            raise InvalidForm("id", f"no API token {token_id}")
        await audit.record(conn, actor, "admin_token.revoke", target_type="admin_token",
                           target_id=token_id, after=row)


async def list_api_tokens(conn: Conn, username: str | None) -> list[asyncpg.Record]:
    return await q.list_api_tokens(conn, normalize_username(username) if username else None)


async def load_api_token(conn: Conn, secret: str) -> TokenCaller | None:
    """The caller behind a live token of an enabled user, or None."""
    if not secret.startswith(API_TOKEN_PREFIX) or len(secret) > 100:
        return None
    row = await q.touch_api_token(conn, token_hash(secret))
    if row is None:
        return None
    role = Role.AUDITOR if row["scope"] == TokenScope.READ else Role(row["role"])
    return TokenCaller(row["user_id"], row["username"], role, row["id"])
