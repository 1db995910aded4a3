"""16 concurrent writers through the same hot accounts: nothing lost, no deadlock."""

from __future__ import annotations

import asyncio

import asyncpg

from settlement import ledger
from settlement.booking import invoice_settlement_postings
from settlement.ledger import FEE_REVENUE, merchant_payable
from settlement.money import BSC_USDT, Money
from tests.settlement.helpers import uid

WRITERS = 16
ENTRIES = 200


async def _writer(pool: asyncpg.Pool, run: str, writer: int) -> int:
    """Posts ENTRIES settled invoices for its own merchant; returns the fees it booked."""
    merchant = f"{run}-w{writer}"
    fees = 0
    async with pool.acquire() as conn:
        for n in range(ENTRIES):
            fee = 100 + writer * 1_000 + n  # distinct per entry, so a lost one shows in sums
            fees += fee
            await ledger.post(
                conn, idempotency_key=f"{merchant}-{n}", kind="invoice_settled", reference=run,
                postings=invoice_settlement_postings(
                    merchant_id=merchant, received=Money(10**18 + n, BSC_USDT),
                    kzt_gross=50_000 + n, fee=fee,
                ),
            )
    return fees


async def test_concurrent_settlements_share_the_fee_account(db_pool: asyncpg.Pool) -> None:
    run = uid("conc")
    async with db_pool.acquire() as conn:
        await ledger.ensure_accounts(conn, [FEE_REVENUE])
        fee_before = (await ledger.balance(conn, FEE_REVENUE.code)).amount
    fees = await asyncio.wait_for(
        asyncio.gather(*(_writer(db_pool, run, w) for w in range(WRITERS))), timeout=120
    )
    async with db_pool.acquire() as conn:
        entries = await conn.fetchval(
            "SELECT count(*) FROM journal_entries WHERE reference = $1", run
        )
        postings = await conn.fetchval(
            "SELECT count(*) FROM postings p JOIN journal_entries e ON e.id = p.entry_id "
            "WHERE e.reference = $1", run,
        )
        fee_lines = await conn.fetchval(
            "SELECT sum(p.amount) FROM postings p JOIN journal_entries e ON e.id = p.entry_id "
            "JOIN ledger_accounts a ON a.id = p.account_id "
            "WHERE e.reference = $1 AND a.code = 'fee_revenue'", run,
        )
        assert entries == WRITERS * ENTRIES
        assert postings == WRITERS * ENTRIES * 5
        assert fee_lines == sum(fees)
        # Only this test writes to fee_revenue while it runs (tests run one at a time).
        fee_after = (await ledger.balance(conn, FEE_REVENUE.code)).amount
        assert fee_after - fee_before == sum(fees)
        for w in range(WRITERS):
            payable = (await ledger.balance(conn, merchant_payable(f"{run}-w{w}").code)).amount
            gross = sum(50_000 + n for n in range(ENTRIES))
            assert payable == gross - fees[w]
        assert set((await ledger.trial_balance(conn)).values()) <= {0}
