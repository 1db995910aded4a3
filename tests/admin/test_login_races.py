"""Sign-in lockout and the per-address throttle under parallel attempts, against the real
PostgreSQL: each attempt runs `auth.sign_in` on its own connection, as parallel requests do."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable

import asyncpg
import pytest

from gateway.admin import auth
from gateway.admin.errors import LoginFailed, LoginThrottled
from gateway.auth import lockout  # where the password check of a sign-in runs
from gateway.config import AdminSettings

# Real argon2 checks, dozens of them in parallel: `make test` only, not the fast lane.
pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
SETTINGS = AdminSettings(lockout_attempts=5, lockout_seconds=300)
# A generous address limit where a test is about the account lock, not the address.
NO_THROTTLE = auth.AddressLimit(attempts=10_000)


def random_address() -> str:
    """A random address in 198.18.0.0/15 (benchmarking range): no other test shares it."""
    return f"198.18.{secrets.randbelow(256)}.{secrets.randbelow(256)}"


async def make_admin(pool: asyncpg.Pool) -> str:
    name = f"race-{secrets.token_hex(4)}"
    async with pool.acquire() as conn:
        await auth.create_user(conn, name, PASSWORD, auth.Role.ADMIN)
    return name


async def attempt(pool: asyncpg.Pool, name: str, password: str, *, client_ip: str,
                  limit: auth.AddressLimit = NO_THROTTLE) -> str:
    """'ok', or the class name of the refusal."""
    async with pool.acquire() as conn:
        try:
            await auth.sign_in(conn, SETTINGS, name, password, client_ip=client_ip,
                               user_agent="race", address_limit=limit)
        except LoginFailed as exc:
            assert str(exc) == auth.BAD_LOGIN or isinstance(exc, LoginThrottled)
            return type(exc).__name__
    return "ok"


async def audit_actions(pool: asyncpg.Pool, name: str) -> list[str]:
    async with pool.acquire() as conn:
        return [r["action"] for r in await conn.fetch(
            "SELECT action FROM admin_audit_log WHERE actor = $1 ORDER BY id", name)]


async def test_fifty_parallel_wrong_passwords_then_the_right_one_is_locked(
        db_pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch) -> None:
    name = await make_admin(db_pool)
    checked: list[str] = []
    real_verify = lockout.verify_password

    async def counting_verify(password_hash: str | None, password: str) -> bool:
        if password_hash is not None:
            checked.append(password)
        return await real_verify(password_hash, password)

    monkeypatch.setattr(lockout, "verify_password", counting_verify)
    results = await asyncio.gather(*(
        attempt(db_pool, name, f"wrong guess {i:02d}", client_ip=random_address())
        for i in range(50)))
    assert set(results) == {"LoginFailed"}
    # Only the attempts within the limit reached the password check; the rest were refused
    # by the lock taken atomically with the fifth reservation.
    assert len(checked) == SETTINGS.lockout_attempts
    # (Their checks end in any order, so their audit rows do too.)
    assert sorted(await audit_actions(db_pool, name)) == ["auth.locked"] + [
        "auth.login_failed"] * 4
    assert await attempt(db_pool, name, PASSWORD, client_ip=random_address()) == "LoginFailed"
    async with db_pool.acquire() as conn:
        assert await conn.fetchval(
            "SELECT locked_until > now() FROM admin_users WHERE username = $1", name)


async def test_a_right_password_in_flight_when_the_lock_falls_does_not_sign_in(
        db_pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch) -> None:
    name = await make_admin(db_pool)
    release = asyncio.Event()
    real_verify = lockout.verify_password

    async def slow_right_password(password_hash: str | None, password: str) -> bool:
        ok = await real_verify(password_hash, password)
        if password == PASSWORD:
            await release.wait()  # the check of the right password is still running ...
        return ok

    monkeypatch.setattr(lockout, "verify_password", slow_right_password)
    right = asyncio.create_task(attempt(db_pool, name, PASSWORD, client_ip=random_address()))
    async with db_pool.acquire() as conn:  # ... when its reservation is taken
        for _ in range(100):
            if await conn.fetchval("SELECT failed_attempts FROM admin_users WHERE username = $1",
                                   name) == 1:
                break
            await asyncio.sleep(0.02)
        else:
            pytest.fail("the right password's attempt was never reserved")
    wrong = await asyncio.gather(*(
        attempt(db_pool, name, f"wrong guess {i}", client_ip=random_address())
        for i in range(SETTINGS.lockout_attempts)))
    assert wrong == ["LoginFailed"] * SETTINGS.lockout_attempts  # 4th wrong locks
    release.set()
    assert await right == "LoginFailed"
    assert "auth.login" not in await audit_actions(db_pool, name)
    async with db_pool.acquire() as conn:
        assert await conn.fetchval(
            "SELECT count(*) FROM admin_sessions s JOIN admin_users u ON u.id = s.user_id "
            "WHERE u.username = $1", name) == 0


async def test_unknown_and_locked_users_get_the_same_answer(db_pool: asyncpg.Pool) -> None:
    name = await make_admin(db_pool)
    ip = random_address()
    for _ in range(SETTINGS.lockout_attempts):
        assert await attempt(db_pool, name, "wrong guess", client_ip=ip) == "LoginFailed"
    # The message is checked inside attempt(): BAD_LOGIN for both.
    assert await attempt(db_pool, name, PASSWORD, client_ip=ip) == "LoginFailed"
    assert await attempt(db_pool, f"nobody-{secrets.token_hex(4)}", PASSWORD,
                         client_ip=ip) == "LoginFailed"


async def test_one_address_is_throttled_across_usernames(db_pool: asyncpg.Pool) -> None:
    name = await make_admin(db_pool)
    ip, limit = random_address(), auth.AddressLimit(attempts=6)
    guesses = await asyncio.gather(*(
        attempt(db_pool, f"nobody-{i}-{secrets.token_hex(3)}", "wrong guess", client_ip=ip,
                limit=limit) for i in range(10)))
    assert sorted(guesses) == ["LoginFailed"] * 6 + ["LoginThrottled"] * 4
    # Even the right password of a real, unlocked user waits out the window from there ...
    assert await attempt(db_pool, name, PASSWORD, client_ip=ip, limit=limit) == \
        "LoginThrottled"
    # ... while another address signs in, and successes do not use up the address's budget.
    other = random_address()
    results = [await attempt(db_pool, name, PASSWORD, client_ip=other, limit=limit)
               for _ in range(limit.attempts + 2)]
    assert results == ["ok"] * (limit.attempts + 2)


async def test_a_success_clears_the_failures(db_pool: asyncpg.Pool) -> None:
    name = await make_admin(db_pool)
    ip = random_address()

    def run(password: str) -> Awaitable[str]:
        return attempt(db_pool, name, password, client_ip=ip)

    for _ in range(SETTINGS.lockout_attempts - 1):
        assert await run("wrong guess") == "LoginFailed"
    assert await run(PASSWORD) == "ok"
    for _ in range(SETTINGS.lockout_attempts - 1):
        assert await run("wrong guess") == "LoginFailed"
    assert await run(PASSWORD) == "ok"
