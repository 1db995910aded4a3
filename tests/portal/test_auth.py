"""Merchant people against the real database: invites are one-time, sign-in failures all
read the same, parallel wrong passwords lock the account and a right one in flight does not
get through, TOTP is a second step whose codes work once, every change is audited."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

import asyncpg
import pyotp
import pytest

from gateway.portal import service
from gateway.portal.errors import InviteInvalid, SignInFailed
from gateway.portal.roles import Role
from gateway.portal.settings import POLICY
from tests.portal.support import ADMIN, PASSWORD, email, make_user

MakeMerchant = Callable[..., Awaitable[str]]


async def _sign_in(pool: asyncpg.Pool, address: str, password: str = PASSWORD,
                   policy: service.PortalPolicy = POLICY) -> service.NewSession:
    async with pool.acquire() as conn:
        return await service.sign_in(conn, policy, address, password, client_ip="127.0.0.1",
                                     user_agent="test")


async def test_invite_works_once_and_owner_signs_in(db_pool: asyncpg.Pool,
                                                    make_merchant: MakeMerchant) -> None:
    merchant_id = await make_merchant()
    address = email(Role.OWNER)
    async with db_pool.acquire() as conn:
        made = await service.invite(conn, POLICY, merchant_id, address, Role.OWNER, ADMIN,
                                    invited_by=None)
        stored = await conn.fetchval("SELECT count(*) FROM merchant_invites WHERE "
                                     "token_hash = sha256($1::text::bytea)", made.url_token)
        assert stored == 1  # only the hash of the link's token is kept
        await service.accept_invite(conn, made.url_token, PASSWORD, None)
        with pytest.raises(InviteInvalid):
            await service.accept_invite(conn, made.url_token, PASSWORD, None)
    new = await _sign_in(db_pool, address.upper())
    assert new.session.role is Role.OWNER and new.session.merchant_id == merchant_id
    async with db_pool.acquire() as conn:
        loaded = await service.load_session(conn, POLICY, new.token)
        actions = [r["action"] for r in await service.audit_entries(conn, merchant_id)]
    assert loaded is not None and loaded.user_id == new.session.user_id
    assert actions == ["auth.login", "user.create", "invite.create"]


async def test_expired_invite_is_refused(db_pool: asyncpg.Pool,
                                         make_merchant: MakeMerchant) -> None:
    merchant_id = await make_merchant()
    short = replace(POLICY, invite_ttl=timedelta(milliseconds=50))
    async with db_pool.acquire() as conn:
        made = await service.invite(conn, short, merchant_id, email(Role.CASHIER),
                                    Role.CASHIER, ADMIN, invited_by=None)
        await asyncio.sleep(0.1)
        with pytest.raises(InviteInvalid):
            await service.accept_invite(conn, made.url_token, PASSWORD, None)


async def test_unknown_wrong_and_locked_read_the_same(db_pool: asyncpg.Pool,
                                                      make_merchant: MakeMerchant) -> None:
    address = await make_user(db_pool, await make_merchant(), Role.MANAGER)
    policy = replace(POLICY, lockout_attempts=2)
    messages = []
    for who, password in [("nobody@shop.example", PASSWORD), (address, "wrong password!"),
                          (address, "wrong password!"), (address, "wrong password!"),
                          (address, PASSWORD)]:
        with pytest.raises(SignInFailed) as caught:
            await _sign_in(db_pool, who, password, policy)
        messages.append(str(caught.value))
    assert len(set(messages)) == 1  # the last one is the RIGHT password on a locked account


async def test_parallel_wrong_passwords_lock_and_a_right_one_in_flight_fails(
        db_pool: asyncpg.Pool, make_merchant: MakeMerchant) -> None:
    merchant_id = await make_merchant()
    address = await make_user(db_pool, merchant_id, Role.OWNER)
    policy = replace(POLICY, lockout_attempts=3)

    async def attempt(password: str) -> bool:
        try:
            await _sign_in(db_pool, address, password, policy)
        except SignInFailed:
            return False
        return True

    guesses = [attempt(f"wrong guess {i:02d}") for i in range(6)]
    results = await asyncio.gather(*guesses, attempt(PASSWORD))
    assert results == [False] * 7
    async with db_pool.acquire() as conn:
        row = await conn.fetchrow("SELECT failed_attempts, locked_until > now() AS locked "
                                  "FROM merchant_users WHERE email = $1", address)
        sessions = await conn.fetchval(
            "SELECT count(*) FROM merchant_sessions s JOIN merchant_users u ON u.id = s.user_id "
            "WHERE u.email = $1", address)
    assert row["locked"] and sessions == 0
    assert not await attempt(PASSWORD)  # still locked


async def test_totp_is_a_second_step_and_a_code_works_once(db_pool: asyncpg.Pool,
                                                           make_merchant: MakeMerchant) -> None:
    merchant_id = await make_merchant()
    address = await make_user(db_pool, merchant_id, Role.OWNER)
    first = await _sign_in(db_pool, address)
    secret = service.new_totp_secret()
    code = pyotp.TOTP(secret).now()
    async with db_pool.acquire() as conn:
        await service.enable_totp(conn, first.session, secret, code, None)
    pending = await _sign_in(db_pool, address)
    assert pending.session.mfa_pending
    async with db_pool.acquire() as conn:
        with pytest.raises(SignInFailed):
            await service.verify_code(conn, POLICY, pending.session, pending.token, "000000",
                                      client_ip=None, user_agent=None)
        step_code = pyotp.TOTP(secret).at(time.time())
        full = await service.verify_code(conn, POLICY, pending.session, pending.token,
                                         step_code, client_ip=None, user_agent=None)
        assert not full.session.mfa_pending and full.token != pending.token
        assert await service.load_session(conn, POLICY, pending.token) is None
    again = await _sign_in(db_pool, address)
    async with db_pool.acquire() as conn:
        with pytest.raises(SignInFailed):  # the same code a second time
            await service.verify_code(conn, POLICY, again.session, again.token, step_code,
                                      client_ip=None, user_agent=None)


async def test_audit_log_is_append_only(db_pool: asyncpg.Pool,
                                        make_merchant: MakeMerchant) -> None:
    merchant_id = await make_merchant()
    await make_user(db_pool, merchant_id, Role.ACCOUNTANT)
    async with db_pool.acquire() as conn:
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute("DELETE FROM merchant_audit_log WHERE merchant_id = $1",
                               merchant_id)
