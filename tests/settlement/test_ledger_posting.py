"""post(): idempotency, conflicts, reversal, the caller's transaction, the account cache."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import pytest

from settlement import ledger
from settlement.errors import IdempotencyConflict, UnbalancedEntry
from settlement.ledger import AccountKind, AccountSpec, credit, debit
from settlement.money import BSC_USDT, KZT, Money
from tests.plugins.eventually import eventually
from tests.settlement.helpers import account, uid


async def test_repost_with_same_content_returns_the_first_entry(
    conn: asyncpg.Connection,
) -> None:
    a, b, key = account(), account(AccountKind.LIABILITY), uid()
    first = await ledger.post(
        conn, idempotency_key=key, kind="test", postings=[debit(a, 10), credit(b, 10)],
        reference="r1", metadata={"n": 1},
    )
    # Same content listed in another order is the same entry.
    again = await ledger.post(
        conn, idempotency_key=key, kind="test", postings=[credit(b, 10), debit(a, 10)],
        reference="r1", metadata={"n": 1},
    )
    assert first.created and not again.created
    assert (again.id, again.content_hash, again.metadata) == (first.id, first.content_hash,
                                                              {"n": 1})
    assert (await ledger.balance(conn, a.code)).amount == 10


async def test_repost_with_other_content_conflicts(conn: asyncpg.Connection) -> None:
    a, b, key = account(), account(AccountKind.LIABILITY), uid()
    await ledger.post(conn, idempotency_key=key, kind="test",
                      postings=[debit(a, 10), credit(b, 10)])
    with pytest.raises(IdempotencyConflict):
        await ledger.post(conn, idempotency_key=key, kind="test",
                          postings=[debit(a, 11), credit(b, 11)])
    with pytest.raises(IdempotencyConflict):
        await ledger.post(conn, idempotency_key=key, kind="test",
                          postings=[debit(a, 10), credit(b, 10)], reference="other")
    assert (await ledger.balance(conn, a.code)).amount == 10


async def test_concurrent_posters_of_one_key_write_once(db_pool: asyncpg.Pool) -> None:
    a, b, key = account(), account(AccountKind.LIABILITY), uid()

    async def attempt() -> ledger.JournalEntry:
        async with db_pool.acquire() as c:
            return await ledger.post(c, idempotency_key=key, kind="test",
                                     postings=[debit(a, 7), credit(b, 7)])

    results = await asyncio.gather(*(attempt() for _ in range(8)))
    assert len({r.id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    async with db_pool.acquire() as c:
        assert (await ledger.balance(c, a.code)).amount == 7


async def test_unbalanced_or_empty_refused_before_the_database(conn: asyncpg.Connection) -> None:
    a, b = account(), account(AccountKind.LIABILITY)
    with pytest.raises(UnbalancedEntry):
        await ledger.post(conn, idempotency_key=uid(), kind="t",
                          postings=[debit(a, 10), credit(b, 9)])
    with pytest.raises(UnbalancedEntry):
        await ledger.post(conn, idempotency_key=uid(), kind="t", postings=[])


async def test_reversal_restores_balances_once(conn: asyncpg.Connection) -> None:
    a, b = account(currency=BSC_USDT), account(AccountKind.EQUITY, BSC_USDT)
    entry = await ledger.post(conn, idempotency_key=uid(), kind="deposit", reference="inv-1",
                              postings=[debit(a, 5 * 10**18), credit(b, 5 * 10**18)])
    assert await ledger.balance(conn, b.code) == Money(5 * 10**18, BSC_USDT)
    key = uid()
    reversal = await ledger.reverse(conn, entry.id, idempotency_key=key)
    assert reversal.reverses_entry_id == entry.id and reversal.reference == "inv-1"
    lines = await ledger.entry_postings(conn, reversal.id)
    assert {(p.account.code, p.direction) for p in lines} == {
        (a.code, ledger.Direction.CREDIT), (b.code, ledger.Direction.DEBIT)}
    assert (await ledger.balance(conn, a.code)).amount == 0
    assert (await ledger.balance(conn, b.code)).amount == 0
    assert (await ledger.reverse(conn, entry.id, idempotency_key=key)).id == reversal.id
    with pytest.raises(ledger.AlreadyReversed):
        await ledger.reverse(conn, entry.id, idempotency_key=uid())
    with pytest.raises(ledger.UnknownEntry):
        await ledger.reverse(conn, -1, idempotency_key=uid())


async def test_post_joins_the_callers_transaction(conn: asyncpg.Connection) -> None:
    a, b = account(), account(AccountKind.LIABILITY)
    with pytest.raises(RuntimeError):
        async with conn.transaction():
            await ledger.post(conn, idempotency_key=uid(), kind="t",
                              postings=[debit(a, 3), credit(b, 3)])
            raise RuntimeError("the caller's state change failed")
    # The rollback also removed the accounts the cache had learned about: the next post
    # notices, recreates them and succeeds.
    assert await conn.fetchval("SELECT count(*) FROM ledger_accounts WHERE code = $1",
                               a.code) == 0
    await ledger.post(conn, idempotency_key=uid(), kind="t", postings=[debit(a, 4), credit(b, 4)])
    assert (await ledger.balance(conn, a.code)).amount == 4


async def test_refused_entry_does_not_abort_the_callers_transaction(
    conn: asyncpg.Connection,
) -> None:
    a, b, key = account(), account(AccountKind.LIABILITY), uid()
    await ledger.post(conn, idempotency_key=key, kind="t", postings=[debit(a, 1), credit(b, 1)])
    async with conn.transaction():
        with pytest.raises(IdempotencyConflict):
            await ledger.post(conn, idempotency_key=key, kind="t",
                              postings=[debit(a, 2), credit(b, 2)])
        await ledger.post(conn, idempotency_key=uid(), kind="t",
                          postings=[debit(a, 5), credit(b, 5)])
    assert (await ledger.balance(conn, a.code)).amount == 6


async def test_account_code_cannot_change_currency_or_kind(conn: asyncpg.Connection) -> None:
    a = account()
    await ledger.ensure_accounts(conn, [a])
    with pytest.raises(ledger.AccountConflict):
        await ledger.ensure_accounts(conn, [AccountSpec(a.code, BSC_USDT, AccountKind.ASSET)])
    ledger.forget_accounts()
    with pytest.raises(ledger.AccountConflict):
        await ledger.ensure_accounts(conn, [AccountSpec(a.code, KZT, AccountKind.EXPENSE)])


async def test_balance_as_of_and_unknown_account(conn: asyncpg.Connection) -> None:
    a, b = account(), account(AccountKind.REVENUE)
    first = await ledger.post(conn, idempotency_key=uid(), kind="t",
                              postings=[debit(a, 100), credit(b, 100)])
    await ledger.take_snapshots(conn)
    await ledger.post(conn, idempotency_key=uid(), kind="t",
                      postings=[debit(a, 50), credit(b, 50)])
    assert (await ledger.balance(conn, b.code, as_of=first.created_at)).amount == 100
    assert (await ledger.balance(conn, b.code)).amount == 150
    with pytest.raises(ledger.UnknownAccount):
        await ledger.balance(conn, uid("missing"))


async def test_snapshot_loop_and_pruning_keep_balances(db_pool: asyncpg.Pool) -> None:
    a, b = account(), account(AccountKind.REVENUE)
    async with db_pool.acquire() as conn:
        for amount in (5, 6):
            await ledger.post(conn, idempotency_key=uid(), kind="t",
                              postings=[debit(a, amount), credit(b, amount)])
            await ledger.take_snapshots(conn)
        task = asyncio.create_task(ledger.snapshot_loop(db_pool, every_seconds=0.01))
        await ledger.post(conn, idempotency_key=uid(), kind="t",
                          postings=[debit(a, 7), credit(b, 7)])

        async def three_snapshots() -> bool:
            return bool(await conn.fetchval(
                "SELECT count(*) FROM account_balance_snapshots s JOIN ledger_accounts a "
                "ON a.id = s.account_id WHERE a.code = $1", b.code) >= 3)

        await eventually(three_snapshots, what="three snapshots", timeout=5, interval=0.01)
        task.cancel()
        # Everything older than "now" is thinned to one snapshot per account and day.
        await ledger.prune_snapshots(conn, older_than=timedelta(0))
        row = await conn.fetchrow(
            "SELECT count(*), count(DISTINCT (s.taken_at AT TIME ZONE 'Asia/Almaty')::date) "
            "FROM account_balance_snapshots s JOIN ledger_accounts a "
            "ON a.id = s.account_id WHERE a.code = $1", b.code)
        assert row is not None
        assert row[0] == row[1]  # one per day: 1, or 2 if the test ran across Almaty midnight
        assert (await ledger.balance(conn, b.code)).amount == 18
        assert await ledger.posting_sums(conn, [b.code]) == {b.code: (0, 18)}
