"""People of a merchant: users and roles, one-time invites, sign-in with lockout and optional
TOTP, server-side sessions, and the merchant's audit log. No SQL, no HTTP.

Sign-in (the lockout holds under parallel attempts):
1. every attempt on an existing account is first COUNTED in one UPDATE under the row lock
   (queries.RESERVE_ATTEMPT); the attempt beyond `lockout_attempts` locks the account;
2. only then is the password checked (argon2id, ~0.1 s in a worker thread);
3. a right password opens a session only if the account is still unlocked at that moment
   (queries.CONFIRM_SUCCESS), so a right password in flight while parallel wrong guesses lock
   the account is refused too.
Unknown, disabled and locked accounts get the SAME answer and the same argon2 cost as a
wrong password. With TOTP, the password opens a pending session that only the code (counted
the same way, each time step accepted once) turns into a real one, under a new token.
The flow and its rules are gateway.auth.lockout's and the sessions' gateway.auth.sessions'
(shared with the console); merchant_users' SQL counts, merchant_sessions keeps the sessions.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import asyncpg

from gateway.auth import sessions
from gateway.auth.lockout import Attempt, Lockout
from gateway.auth.passwords import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    acceptable,
    hash_password,
    needs_rehash,
)
from gateway.auth.sessions import Lifetime, SessionTable
from gateway.auth.tokens import new_token, token_hash
from gateway.auth.totp import new_secret, provisioning_uri, totp_step
from gateway.log import get_logger
from gateway.merchants.ids import new_id
from gateway.merchants.service import get_merchant
from gateway.portal import queries as q
from gateway.portal.errors import (
    InvalidForm,
    InviteInvalid,
    PageNotFound,
    RoleForbidden,
    SignInFailed,
    UserExists,
)
from gateway.portal.roles import Role
from gateway.portal.settings import PortalPolicy
from settlement.db import Conn

log = get_logger(__name__)

_EMAIL: Final = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
BAD_SIGN_IN: Final = "Sign-in failed: wrong email, password or code, or the account is " \
                     "locked for a while after too many attempts."
AUDIT_PAGE: Final = 100


@dataclass(frozen=True)
class Actor:
    """Who acts: a merchant user, a zone administrator (console) or the CLI (`id` None)."""

    id: str | None
    name: str
    client_ip: str | None = None


@dataclass(frozen=True)
class Session:
    """The signed-in merchant user behind a request."""

    user_id: str
    email: str
    role: Role
    merchant_id: str
    merchant_name: str
    merchant_active: bool
    csrf_token: str
    mfa_pending: bool
    expires_at: datetime

    def actor(self, client_ip: str | None) -> Actor:
        return Actor(self.user_id, self.email, client_ip)


@dataclass(frozen=True)
class NewSession:
    token: str  # the cookie value: the only copy of it
    session: Session


@dataclass(frozen=True)
class Invite:
    """An invite just made: `url_token` goes into the link and is shown once."""

    url_token: str
    merchant_id: str
    email: str
    role: Role
    expires_at: datetime


def normalize_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidForm("email", "must be an email address")
    return email


def parse_role(raw: str) -> Role:
    try:
        return Role(raw)
    except ValueError as exc:
        raise InvalidForm("role", "must be owner, manager, cashier or accountant") from exc


def check_password(password: str) -> None:
    if not acceptable(password):
        raise InvalidForm("password", f"must be {MIN_PASSWORD}..{MAX_PASSWORD} characters")


async def record(conn: Conn, merchant_id: str, actor: Actor, action: str, *,
                 target_type: str | None = None, target_id: str | None = None,
                 before: Any = None, after: Any = None) -> int:
    """Append one row to the merchant's audit log, inside the action's transaction."""
    audit_id = await q.insert_audit(conn, (merchant_id, actor.id, actor.name[:254], action,
                                           target_type, target_id, before, after,
                                           actor.client_ip))
    log.info("merchant_action", merchant_id=merchant_id, actor=actor.name, action=action,
             target_id=target_id, audit_id=audit_id)
    return audit_id


async def audit_entries(conn: Conn, merchant_id: str,
                        before_id: int | None = None) -> list[asyncpg.Record]:
    return await q.list_audit(conn, merchant_id, before_id, AUDIT_PAGE)


# --- invites -------------------------------------------------------------------------------

async def invite(conn: Conn, policy: PortalPolicy, merchant_id: str, email: str, role: Role,
                 actor: Actor, *, invited_by: str | None) -> Invite:
    """A one-time invite link's token for `email` as `role` (its hash is stored)."""
    address = normalize_email(email)
    await get_merchant(conn, merchant_id)
    token = new_token()
    async with conn.transaction():
        row = await q.insert_invite(conn, token_hash(token), merchant_id, address, role.value,
                                    invited_by, policy.invite_ttl)
        await record(conn, merchant_id, actor, "invite.create", target_type="invite",
                     target_id=address, after={"email": address, "role": role.value,
                                               "expires_at": row["expires_at"].isoformat()})
    return Invite(token, merchant_id, address, role, row["expires_at"])


async def open_invite(conn: Conn, url_token: str) -> asyncpg.Record:
    row = await q.select_open_invite(conn, token_hash(url_token)) if url_token else None
    if row is None:
        raise InviteInvalid("This invite link is unknown, already used or expired.")
    return row


async def accept_invite(conn: Conn, url_token: str, password: str,
                        client_ip: str | None) -> str:
    """Create the invited account (once per link); returns the new user's id."""
    check_password(password)
    password_hash = await hash_password(password)
    digest = token_hash(url_token)
    async with conn.transaction():
        claimed = await q.claim_invite(conn, digest)
        if claimed is None:
            raise InviteInvalid("This invite link is unknown, already used or expired.")
        user_id = new_id("mus")
        row = await q.insert_user(conn, (user_id, claimed["merchant_id"], claimed["email"],
                                         claimed["role"], password_hash))
        if row is None:
            raise UserExists(f"An account for {claimed['email']} already exists.")
        await q.set_invite_user(conn, digest, user_id)
        await record(conn, claimed["merchant_id"], Actor(user_id, claimed["email"], client_ip),
                     "user.create", target_type="user", target_id=user_id,
                     after={"email": claimed["email"], "role": claimed["role"]})
    return user_id


# --- sign-in -------------------------------------------------------------------------------

# The portal's sessions live in merchant_sessions (gateway.auth.sessions has the rules).
SESSIONS: Final = SessionTable(q.insert_session, q.touch_session, q.delete_session,
                               q.delete_expired_sessions)


def _session(row: asyncpg.Record, mfa_pending: bool, csrf: str, expires: datetime) -> Session:
    return Session(row["id"], row["email"], Role(row["role"]), row["merchant_id"], "", True,
                   csrf, mfa_pending, expires)


async def _open_session(conn: Conn, policy: PortalPolicy, user: asyncpg.Record, *,
                        mfa_pending: bool, client_ip: str | None,
                        user_agent: str | None) -> NewSession:
    absolute = policy.mfa_window if mfa_pending else policy.session_max
    opened = await sessions.open_session(
        conn, SESSIONS, user["id"], Lifetime(policy.session_idle, absolute),
        client_ip=client_ip, user_agent=user_agent, mfa_pending=mfa_pending)
    return NewSession(opened.token,
                      _session(user, mfa_pending, opened.csrf_token, opened.expires_at))


async def _reserve(conn: Conn, policy: PortalPolicy, user: asyncpg.Record) -> Attempt:
    """Count an attempt on `user` (merchant_users' RESERVE_ATTEMPT); an account locked
    by it or before it is refused unchecked."""
    row = await q.reserve_attempt(conn, user["id"], policy.lockout_attempts, policy.lockout)
    return Attempt(user, user["password_hash"], row["failed_attempts"], row["locked"],
                   checkable=not row["locked"])


def _lockout(policy: PortalPolicy, client_ip: str | None) -> Lockout:
    """merchant_users' side of the lockout flow (gateway.auth.lockout has the rules)."""

    async def reserve(conn: Conn, email: str) -> Attempt | None:
        user = await q.select_user_by_email(conn, email) if _EMAIL.match(email) else None
        if user is None or user["disabled"]:
            return None
        return await _reserve(conn, policy, user)

    async def confirm(conn: Conn, attempt: Attempt) -> bool:
        return await q.confirm_success(conn, attempt.user["id"])

    async def audit(conn: Conn, attempt: Attempt, action: str) -> None:
        user = attempt.user
        await record(conn, user["merchant_id"], Actor(None, user["email"], client_ip), action,
                     target_type="user", target_id=user["id"],
                     after={"attempts": attempt.failed_attempts})

    return Lockout(reserve, confirm, audit, lambda: SignInFailed(BAD_SIGN_IN))


async def sign_in(conn: Conn, policy: PortalPolicy, email: str, password: str, *,
                  client_ip: str | None, user_agent: str | None) -> NewSession:
    """Check the password and open a session (pending the TOTP code when the user has one)."""
    guard = _lockout(policy, client_ip)
    attempt = await guard.check_password(conn, email.strip().lower(), password)
    user = attempt.user
    async with conn.transaction():
        if user["totp_secret"] is not None:
            if not await q.still_unlocked(conn, user["id"]):
                raise SignInFailed(BAD_SIGN_IN)
            return await _open_session(conn, policy, user, mfa_pending=True,
                                       client_ip=client_ip, user_agent=user_agent)
        return await _finish(conn, policy, guard, attempt, password, client_ip, user_agent)


async def _finish(conn: Conn, policy: PortalPolicy, guard: Lockout, attempt: Attempt,
                  password: str | None, client_ip: str | None,
                  user_agent: str | None) -> NewSession:
    """The last step of a sign-in (inside its transaction): still unlocked -> a session."""
    user = attempt.user
    await guard.confirm_unlocked(conn, attempt)
    if password is not None and needs_rehash(user["password_hash"]):
        log.info("merchant_password_rehash_due", user_id=user["id"])
    new = await _open_session(conn, policy, user, mfa_pending=False, client_ip=client_ip,
                              user_agent=user_agent)
    await record(conn, user["merchant_id"], Actor(user["id"], user["email"], client_ip),
                 "auth.login", target_type="user", target_id=user["id"])
    return new


async def verify_code(conn: Conn, policy: PortalPolicy, pending: Session, pending_token: str,
                      code: str, *, client_ip: str | None,
                      user_agent: str | None) -> NewSession:
    """The TOTP step of a sign-in: a right, fresh code turns the pending session into one
    (under a new token: the pending one is deleted)."""
    user = await q.select_user(conn, pending.user_id, pending.merchant_id)
    if user is None or user["totp_secret"] is None or not pending.mfa_pending:
        raise SignInFailed(BAD_SIGN_IN)
    guard = _lockout(policy, client_ip)
    attempt = await _reserve(conn, policy, user)
    step = None if attempt.locked else totp_step(user["totp_secret"], code, time.time())
    if step is None or not await q.use_totp_step(conn, user["id"], step):
        raise await guard.refuse(conn, attempt, "auth.code_failed")
    async with conn.transaction():
        await sessions.end_session(conn, SESSIONS, pending_token)
        return await _finish(conn, policy, guard, attempt, None, client_ip, user_agent)


async def load_session(conn: Conn, policy: PortalPolicy, token: str | None) -> Session | None:
    """The live session of a cookie value (sliding its idle expiry), or None."""
    row = await sessions.touch_session(conn, SESSIONS, token, policy.session_idle)
    if row is None:
        return None
    return Session(row["user_id"], row["email"], Role(row["role"]), row["merchant_id"],
                   row["merchant_name"], row["merchant_status"] == "active",
                   row["csrf_token"], row["mfa_pending"], row["expires_at"])


async def sign_out(conn: Conn, token: str, session: Session, client_ip: str | None) -> None:
    async with conn.transaction():
        await sessions.end_session(conn, SESSIONS, token)
        await record(conn, session.merchant_id, session.actor(client_ip), "auth.logout",
                     target_type="user", target_id=session.user_id)


# --- own account: TOTP ---------------------------------------------------------------------

def new_totp_secret() -> str:
    return new_secret()


def totp_uri(secret: str, email: str) -> str:
    return provisioning_uri(secret, email)


async def enable_totp(conn: Conn, session: Session, secret: str, code: str,
                      client_ip: str | None) -> None:
    """Turn TOTP on once the user proved the authenticator app has `secret`."""
    if not re.fullmatch(r"[A-Z2-7]{16,64}", secret) or \
            totp_step(secret, code, time.time()) is None:
        raise InvalidForm("code", "does not match: check the app's clock and try again")
    async with conn.transaction():
        await q.update_totp(conn, session.user_id, secret)
        await record(conn, session.merchant_id, session.actor(client_ip), "user.totp_enable",
                     target_type="user", target_id=session.user_id)


async def disable_totp(conn: Conn, session: Session, client_ip: str | None) -> None:
    async with conn.transaction():
        await q.update_totp(conn, session.user_id, None)
        await record(conn, session.merchant_id, session.actor(client_ip), "user.totp_disable",
                     target_type="user", target_id=session.user_id)


# --- team ----------------------------------------------------------------------------------

async def team(conn: Conn, merchant_id: str) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    """The merchant's users and its open invites."""
    return await q.list_users(conn, merchant_id), await q.list_open_invites(conn, merchant_id)


async def change_role(conn: Conn, session: Session, user_id: str, role: Role,
                      client_ip: str | None) -> None:
    if user_id == session.user_id:
        raise RoleForbidden("You cannot change your own role (ask another owner).")
    async with conn.transaction():
        before = await q.select_user(conn, user_id, session.merchant_id)
        row = await q.update_role(conn, user_id, session.merchant_id, role.value)
        if before is None or row is None:
            raise PageNotFound("No such user.")
        await record(conn, session.merchant_id, session.actor(client_ip), "user.role",
                     target_type="user", target_id=user_id, before={"role": before["role"]},
                     after={"role": role.value})


async def set_disabled(conn: Conn, session: Session, user_id: str, disabled: bool,
                       client_ip: str | None) -> None:
    if user_id == session.user_id:
        raise RoleForbidden("You cannot disable your own account.")
    async with conn.transaction():
        row = await q.update_disabled(conn, user_id, session.merchant_id, disabled)
        if row is None:
            raise PageNotFound("No such user.")
        await q.delete_user_sessions(conn, user_id)
        await record(conn, session.merchant_id, session.actor(client_ip),
                     "user.disable" if disabled else "user.enable", target_type="user",
                     target_id=user_id)
