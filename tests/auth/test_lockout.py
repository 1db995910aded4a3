"""gateway.auth.lockout: the one sign-in lockout flow, against an in-memory store whose
reservation is atomic (as the stores' single UPDATE under the row lock is), with a password
check slow enough for parallel attempts to overlap."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from gateway.auth import lockout
from gateway.auth.lockout import Attempt, Lockout
from gateway.errors import GatewayError

RIGHT = "correct horse battery"
REFUSAL = "Sign-in failed."

CONN: Any = None  # the fakes take no connection


class Refused(GatewayError):
    pass


@dataclass
class Account:
    """One account row: its count and lock, as the store's SQL keeps them."""

    limit: int
    failed: int = 0
    locked: bool = False
    audits: list[str] = field(default_factory=list)
    confirmed: int = 0

    async def reserve(self, conn: Any, login: str) -> Attempt | None:
        if login != "shop@example.kz":
            return None
        was_locked = self.locked
        if not was_locked:
            self.failed += 1
            self.locked = self.failed > self.limit
        row: Any = {"id": "mus_1"}
        return Attempt(row, "hash", self.failed, locked=self.locked, checkable=not was_locked)

    async def confirm(self, conn: Any, attempt: Attempt) -> bool:
        if self.locked:
            return False
        self.failed, self.confirmed = 0, self.confirmed + 1
        return True

    async def audit(self, conn: Any, attempt: Attempt, action: str) -> None:
        self.audits.append(action)

    def guard(self) -> Lockout:
        return Lockout(self.reserve, self.confirm, self.audit, lambda: Refused(REFUSAL))


@pytest.fixture(autouse=True)
def slow_check(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """A password check that takes a while, the right one longest (it ends last)."""
    checked: list[str | None] = []

    async def verify(password_hash: str | None, password: str) -> bool:
        checked.append(password_hash)
        await asyncio.sleep(0.05 if password == RIGHT else 0.01)
        return password_hash is not None and password == RIGHT

    monkeypatch.setattr(lockout, "verify_password", verify)
    return checked


async def sign_in(account: Account, login: str, password: str) -> str:
    guard = account.guard()
    try:
        attempt = await guard.check_password(CONN, login, password)
        await guard.confirm_unlocked(CONN, attempt)
    except Refused as exc:
        return str(exc)
    return "ok"


async def test_a_right_password_signs_in_and_resets_the_count() -> None:
    account = Account(limit=3, failed=2)
    assert await sign_in(account, "shop@example.kz", RIGHT) == "ok"
    assert (account.failed, account.confirmed) == (0, 1)


async def test_parallel_wrong_passwords_lock_and_a_right_one_in_flight_is_refused() -> None:
    account = Account(limit=3)
    # The right password is reserved first and checked longest: the wrong ones lock the
    # account while it is in flight.
    answers = await asyncio.gather(sign_in(account, "shop@example.kz", RIGHT),
                                   *[sign_in(account, "shop@example.kz", f"wrong {i}")
                                     for i in range(6)])
    assert set(answers) == {REFUSAL}
    assert account.locked and account.confirmed == 0
    assert lockout.LOCKED in account.audits
    assert await sign_in(account, "shop@example.kz", RIGHT) == REFUSAL  # still locked


async def test_unknown_locked_and_wrong_get_the_same_answer_after_the_same_work(
        slow_check: list[str | None]) -> None:
    account = Account(limit=1, failed=1, locked=True)
    answers = [await sign_in(account, "nobody@example.kz", RIGHT),
               await sign_in(account, "shop@example.kz", RIGHT)]
    assert answers == [REFUSAL, REFUSAL]
    assert slow_check == [None, None]  # a dummy check each: the time tells nothing
    assert account.audits == [lockout.LOCKED]  # the unknown account leaves no row


async def test_a_refusal_names_the_callers_action_unless_the_account_is_locked() -> None:
    account = Account(limit=5)
    attempt = await account.reserve(CONN, "shop@example.kz")
    assert attempt is not None
    assert str(await account.guard().refuse(CONN, attempt,
                                            "auth.code_failed")) == REFUSAL
    assert account.audits == ["auth.code_failed"]
