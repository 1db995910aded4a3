"""gateway.auth.sessions: rotation on every sign-in, only hashes stored, the lifetime rules;
expiry against the real tables is in tests/auth/test_session_tables.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.auth import sessions
from gateway.auth.sessions import Lifetime, SessionRow, SessionTable
from gateway.auth.tokens import token_hash

LIFETIME = Lifetime(idle=timedelta(minutes=30), absolute=timedelta(hours=12))

CONN: Any = None  # the fakes take no connection


class MemoryTable:
    def __init__(self) -> None:
        self.rows: dict[bytes, SessionRow] = {}
        self.sweeps = 0

    async def insert(self, conn: Any, row: SessionRow) -> datetime:
        self.rows[row.token_hash] = row
        return datetime.now(UTC) + row.lifetime.idle

    async def touch(self, conn: Any, digest: bytes, idle: timedelta) -> Any:
        row = self.rows.get(digest)
        return None if row is None else {"user_id": row.user_id, "csrf_token": row.csrf_token}

    async def delete(self, conn: Any, digest: bytes) -> None:
        self.rows.pop(digest, None)

    async def delete_expired(self, conn: Any) -> None:
        self.sweeps += 1

    def table(self) -> SessionTable:
        return SessionTable(self.insert, self.touch, self.delete, self.delete_expired)


async def test_every_sign_in_rotates_token_and_csrf_and_stores_only_hashes() -> None:
    memory = MemoryTable()
    first = await sessions.open_session(CONN, memory.table(), "u1", LIFETIME,
                                        client_ip=None, user_agent=None)
    second = await sessions.open_session(CONN, memory.table(), "u1", LIFETIME,
                                         client_ip=None, user_agent=None)
    assert len({first.token, second.token, first.csrf_token, second.csrf_token}) == 4
    assert set(memory.rows) == {token_hash(first.token), token_hash(second.token)}
    assert all(first.token not in repr(row) for row in memory.rows.values())
    assert memory.sweeps == 2  # expired rows go whenever a session opens


async def test_a_session_is_found_by_its_token_only_and_ends_on_sign_out() -> None:
    memory = MemoryTable()
    table = memory.table()
    opened = await sessions.open_session(CONN, table, "u1", LIFETIME,
                                         client_ip="10.0.0.1", user_agent="test")
    row = await sessions.touch_session(CONN, table, opened.token, LIFETIME.idle)
    assert row is not None and row["csrf_token"] == opened.csrf_token
    assert await sessions.touch_session(CONN, table, opened.csrf_token, LIFETIME.idle) is None
    assert await sessions.touch_session(CONN, table, "x" * 101, LIFETIME.idle) is None
    assert await sessions.touch_session(CONN, table, None, LIFETIME.idle) is None
    await sessions.end_session(CONN, table, opened.token)
    assert await sessions.touch_session(CONN, table, opened.token, LIFETIME.idle) is None


async def test_an_idle_time_longer_than_the_absolute_one_is_cut_to_it() -> None:
    memory = MemoryTable()
    await sessions.open_session(CONN, memory.table(), "u1",
                                Lifetime(timedelta(days=1), timedelta(minutes=5)),
                                client_ip=None, user_agent=None)
    (row,) = memory.rows.values()
    assert row.lifetime == Lifetime(timedelta(minutes=5), timedelta(minutes=5))
