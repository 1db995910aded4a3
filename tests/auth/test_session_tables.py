"""gateway.auth.sessions against the real tables (admin_sessions, merchant_sessions through
their stores' queries): idle and absolute expiry, rotation on every sign-in, sign-out."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta

import asyncpg

from gateway.admin import auth
from gateway.auth import sessions
from gateway.auth.sessions import Lifetime
from gateway.auth.tokens import token_hash
from gateway.config import AdminSettings

PASSWORD = "correct horse battery"
SHORT = timedelta(seconds=1)
LONG = timedelta(hours=1)


async def make_admin(conn: asyncpg.Connection) -> str:
    return await auth.create_user(conn, f"sess-{secrets.token_hex(4)}", PASSWORD,
                                  auth.Role.AUDITOR)


async def test_an_idle_session_expires_and_a_used_one_slides(conn: asyncpg.Connection) -> None:
    user_id = await make_admin(conn)
    idle = await sessions.open_session(conn, auth.SESSIONS, user_id, Lifetime(SHORT, LONG),
                                       client_ip=None, user_agent=None)
    used = await sessions.open_session(conn, auth.SESSIONS, user_id, Lifetime(SHORT, LONG),
                                       client_ip=None, user_agent=None)
    for _ in range(3):  # 1.2 s in all, each step within the idle second
        await asyncio.sleep(0.4)
        assert await sessions.touch_session(conn, auth.SESSIONS, used.token, SHORT)
    assert await sessions.touch_session(conn, auth.SESSIONS, idle.token, SHORT) is None


async def test_a_session_ends_at_its_absolute_expiry_however_busy(
        conn: asyncpg.Connection) -> None:
    user_id = await make_admin(conn)
    for lifetime in (Lifetime(SHORT, SHORT), Lifetime(LONG, SHORT)):
        opened = await sessions.open_session(conn, auth.SESSIONS, user_id, lifetime,
                                             client_ip=None, user_agent=None)
        await asyncio.sleep(1.2)
        assert await sessions.touch_session(conn, auth.SESSIONS, opened.token,
                                            lifetime.idle) is None


async def test_every_sign_in_opens_a_new_session_and_sign_out_ends_only_its_own(
        conn: asyncpg.Connection) -> None:
    settings = AdminSettings()
    user_id = await make_admin(conn)
    name = await conn.fetchval("SELECT username FROM admin_users WHERE id = $1", user_id)
    first = await auth.sign_in(conn, settings, name, PASSWORD, client_ip=None, user_agent=None)
    second = await auth.sign_in(conn, settings, name, PASSWORD, client_ip=None,
                                user_agent=None)
    assert first.token != second.token
    assert first.session.csrf_token != second.session.csrf_token
    stored = {r["token_hash"] for r in await conn.fetch(
        "SELECT token_hash FROM admin_sessions WHERE user_id = $1", user_id)}
    assert stored == {token_hash(first.token), token_hash(second.token)}  # hashes only
    await auth.sign_out(conn, first.token, auth.audit.Actor(user_id, name, None))
    assert await auth.load_session(conn, settings, first.token) is None
    assert await auth.load_session(conn, settings, second.token) is not None
