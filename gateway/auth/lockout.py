"""Sign-in lockout, one flow for the console (admin_users) and the merchant portal
(merchant_users). No SQL here: each user store hands in its reservation, its confirmation,
its audit and its one refusal (`Lockout`); the counting itself is one SQL statement of its
queries.py.

The rules (they hold under parallel attempts, each on its own connection):
1. Reserve first: every attempt on an existing, enabled account is COUNTED as a failure in
   one UPDATE under the row lock (the store's RESERVE_ATTEMPT) BEFORE the slow password
   check; the attempt that reaches the store's limit locks the account for its lockout
   time. Parallel guesses are thus all counted, whatever order their checks end in.
2. Check: argon2id (gateway.auth.passwords), ~0.1 s in a worker thread. An attempt on an
   account locked before it (`Attempt.checkable` False) is not checked at all.
3. Confirm: a right password (and code) opens a session only if, at that moment, no OTHER
   attempt has locked the account (the store's confirm UPDATE, which also resets the count):
   a right password in flight while parallel wrong guesses lock the account is refused.
4. One answer: unknown, disabled, locked and wrong all get the store's one refusal (same
   message, same status) after the same argon2 work (a dummy hash where there is none), so
   neither the answer nor its time tells which accounts exist or are locked.
5. Audit: a refused attempt on an existing account is recorded as `auth.locked` when the
   account is locked after it, else as the caller's action (`auth.login_failed`, or the
   portal's `auth.code_failed`); unknown accounts leave no row (there is no one to log).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

import asyncpg

from gateway.auth.passwords import verify_password
from settlement.db import Conn

LOGIN_FAILED: Final = "auth.login_failed"
LOCKED: Final = "auth.locked"


@dataclass(frozen=True)
class Attempt:
    """One reserved attempt: already counted as a failure, until confirmed."""

    user: asyncpg.Record  # the account's row as the store read it
    password_hash: str
    failed_attempts: int  # the count after this attempt's reservation
    locked: bool  # the account is locked now (by this attempt or before it)
    checkable: bool = True  # False: locked before this attempt; refuse it unchecked


@dataclass(frozen=True)
class Lockout:
    """One user store's side of the flow."""

    # The reserved attempt of a login name; None for an unknown or disabled account (and,
    # where the store's reservation skips them, a locked one).
    reserve: Callable[[Conn, str], Awaitable[Attempt | None]]
    # True when the attempt may sign in (rule 3); resets the count.
    confirm: Callable[[Conn, Attempt], Awaitable[bool]]
    # Records a refused attempt under the given audit action (rule 5).
    audit: Callable[[Conn, Attempt, str], Awaitable[None]]
    # The ONE refusal (rule 4).
    refusal: Callable[[], Exception]

    async def check_password(self, conn: Conn, login: str, password: str) -> Attempt:
        """The reserved attempt whose password is right; raises the refusal otherwise."""
        attempt = await self.reserve(conn, login)
        if attempt is None or not attempt.checkable:
            await verify_password(None, password)  # the same work as a real check
            if attempt is None:
                raise self.refusal()
            raise await self.refuse(conn, attempt)
        if not await verify_password(attempt.password_hash, password):
            raise await self.refuse(conn, attempt)
        return attempt

    async def refuse(self, conn: Conn, attempt: Attempt,
                     action: str = LOGIN_FAILED) -> Exception:
        """Audit a refused (already counted) attempt; returns the refusal to raise."""
        await self.audit(conn, attempt, LOCKED if attempt.locked else action)
        return self.refusal()

    async def confirm_unlocked(self, conn: Conn, attempt: Attempt) -> None:
        """Rule 3, inside the sign-in's transaction: the refusal if another attempt locked
        the account while this one was being checked."""
        if not await self.confirm(conn, attempt):
            raise self.refusal()
