"""PostgreSQL itself refuses what would break the books, whatever SQL is sent."""

from __future__ import annotations

import asyncpg
import pytest

from settlement import ledger
from settlement.errors import ImmutableRecord, UnbalancedEntry
from settlement.ledger import AccountKind, credit, debit
from settlement.money import BSC_BNB
from tests.settlement.helpers import account, uid

HASH = "0" * 64
INSERT_ENTRY = """
INSERT INTO journal_entries (idempotency_key, kind, content_hash) VALUES ($1, 'raw', $2)
RETURNING id
"""
INSERT_POSTING = """
INSERT INTO postings (entry_id, account_id, currency, amount, direction)
SELECT $1, id, currency, $3, $4::ledger_direction FROM ledger_accounts WHERE code = $2
"""


async def _pair(conn: asyncpg.Connection) -> tuple[str, str]:
    a, b = account(), account(AccountKind.REVENUE)
    await ledger.ensure_accounts(conn, [a, b])
    return a.code, b.code


async def _posted(conn: asyncpg.Connection) -> ledger.JournalEntry:
    a, b = account(), account(AccountKind.REVENUE)
    return await ledger.post(
        conn, idempotency_key=uid(), kind="test", postings=[debit(a, 100), credit(b, 100)]
    )


async def test_unbalanced_entry_refused_at_commit(conn: asyncpg.Connection) -> None:
    a, b = await _pair(conn)
    with pytest.raises(asyncpg.PostgresError, match="unbalanced in KZT") as caught:
        async with conn.transaction():
            entry_id = await conn.fetchval(INSERT_ENTRY, uid(), HASH)
            await conn.execute(INSERT_POSTING, entry_id, a, 100, "debit")
            await conn.execute(INSERT_POSTING, entry_id, b, 99, "credit")
    assert caught.value.sqlstate == "LG001"
    with pytest.raises(UnbalancedEntry), ledger.mapped_db_errors():
        async with conn.transaction():
            entry_id = await conn.fetchval(INSERT_ENTRY, uid(), HASH)
            await conn.execute(INSERT_POSTING, entry_id, a, 1, "debit")


async def test_entry_without_postings_refused(conn: asyncpg.Connection) -> None:
    with pytest.raises(asyncpg.PostgresError, match="no postings"):
        await conn.fetchval(INSERT_ENTRY, uid(), HASH)


async def test_balanced_by_hand_is_accepted(conn: asyncpg.Connection) -> None:
    a, b = await _pair(conn)
    async with conn.transaction():
        entry_id = await conn.fetchval(INSERT_ENTRY, uid(), HASH)
        await conn.execute(INSERT_POSTING, entry_id, a, 100, "debit")
        await conn.execute(INSERT_POSTING, entry_id, b, 100, "credit")
    assert (await ledger.balance(conn, a)).amount == 100


async def test_update_and_delete_refused(conn: asyncpg.Connection) -> None:
    entry = await _posted(conn)
    statements = [
        ("UPDATE postings SET amount = amount + 1 WHERE entry_id = $1", "LG002"),
        ("DELETE FROM postings WHERE entry_id = $1", "LG002"),
        ("UPDATE journal_entries SET kind = 'edited' WHERE id = $1", "LG002"),
        ("DELETE FROM journal_entries WHERE id = $1", "LG002"),
    ]
    for sql, state in statements:
        with pytest.raises(asyncpg.PostgresError) as caught:
            await conn.execute(sql, entry.id)
        assert caught.value.sqlstate == state, sql
    with pytest.raises(ImmutableRecord), ledger.mapped_db_errors():
        await conn.execute("DELETE FROM postings WHERE entry_id = $1", entry.id)
    for table in ("postings", "journal_entries", "ledger_accounts"):
        with pytest.raises(asyncpg.PostgresError, match="not allowed"):
            await conn.execute(f"TRUNCATE {table} CASCADE")


async def test_posting_to_a_committed_entry_refused(conn: asyncpg.Connection) -> None:
    entry = await _posted(conn)
    code = (await ledger.entry_postings(conn, entry.id))[0].account.code
    with pytest.raises(asyncpg.PostgresError, match="committed earlier"):
        async with conn.transaction():
            await conn.execute(INSERT_POSTING, entry.id, code, 5, "debit")
            await conn.execute(INSERT_POSTING, entry.id, code, 5, "credit")


async def test_posting_to_an_unknown_entry_refused(conn: asyncpg.Connection) -> None:
    a, _ = await _pair(conn)
    with pytest.raises(asyncpg.PostgresError, match="unknown journal entry") as caught:
        await conn.execute(INSERT_POSTING, -1, a, 5, "debit")
    assert caught.value.sqlstate == "LG004"
    with pytest.raises(ledger.ClosedEntry), ledger.mapped_db_errors():
        await conn.execute(INSERT_POSTING, -1, a, 5, "debit")


async def test_posting_currency_must_match_account(conn: asyncpg.Connection) -> None:
    a, _ = await _pair(conn)
    with pytest.raises(asyncpg.PostgresError) as caught:
        async with conn.transaction():
            entry_id = await conn.fetchval(INSERT_ENTRY, uid(), HASH)
            await conn.execute(
                "INSERT INTO postings (entry_id, account_id, currency, amount, direction) "
                "SELECT $1, id, 'bsc:BNB', 1, 'debit' FROM ledger_accounts WHERE code = $2",
                entry_id, a,
            )
    assert caught.value.sqlstate == "LG003"


async def test_amounts_must_be_positive_and_accounts_exist(conn: asyncpg.Connection) -> None:
    a, _ = await _pair(conn)
    with pytest.raises(asyncpg.CheckViolationError):
        async with conn.transaction():
            entry_id = await conn.fetchval(INSERT_ENTRY, uid(), HASH)
            await conn.execute(INSERT_POSTING, entry_id, a, 0, "debit")
    with pytest.raises(asyncpg.PostgresError) as caught:
        async with conn.transaction():
            entry_id = await conn.fetchval(INSERT_ENTRY, uid(), HASH)
            await conn.execute(
                "INSERT INTO postings (entry_id, account_id, currency, amount, direction) "
                "VALUES ($1, -1, 'KZT', 1, 'debit')", entry_id,
            )
    assert caught.value.sqlstate == "LG005"


async def test_account_identity_is_fixed_once_used(conn: asyncpg.Connection) -> None:
    entry = await _posted(conn)
    code = (await ledger.entry_postings(conn, entry.id))[0].account.code
    for sql in (
        "UPDATE ledger_accounts SET currency = 'bsc:BNB' WHERE code = $1",
        "UPDATE ledger_accounts SET code = code || 'x' WHERE code = $1",
        "UPDATE ledger_accounts SET kind = 'expense' WHERE code = $1",
        "DELETE FROM ledger_accounts WHERE code = $1",
    ):
        with pytest.raises(asyncpg.PostgresError):
            await conn.execute(sql, code)
    assert await conn.execute(
        "UPDATE ledger_accounts SET owner = 'someone' WHERE code = $1", code
    ) == "UPDATE 1"


async def test_huge_amounts_are_exact(conn: asyncpg.Connection) -> None:
    a, b = account(currency=BSC_BNB), account(AccountKind.EQUITY, BSC_BNB)
    big = 2**256 - 1
    await ledger.post(
        conn, idempotency_key=uid(), kind="test", postings=[debit(a, big), credit(b, big)]
    )
    assert (await ledger.balance(conn, a.code)).amount == big
    assert (await ledger.balance(conn, b.code)).amount == big
