"""Balances derived from postings, with snapshots so that reads stay fast.

Postings are only ever inserted; no balance row is updated per posting, so concurrent
payments through the hot accounts (fee_revenue, fx_position:*) never queue on a row lock.
A balance is the latest snapshot of the account (totals of every posting below a transaction
id horizon) plus the postings at or above that horizon; `take_snapshots` moves the horizons
forward. See docs/ledger.md for why the horizon is a transaction id and not a posting id.

Sign convention: an account's balance is positive on its normal side, i.e. debits minus
credits for assets and expenses, credits minus debits for liabilities, revenue and equity.
The trial balance is debits minus credits over all accounts per currency, always zero.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog

from settlement.db import Conn
from settlement.errors import LedgerError, UnknownAccount
from settlement.ledger import queries
from settlement.ledger.accounts import AccountKind, Direction
from settlement.ledger.errors import mapped_db_errors
from settlement.money import DEFAULT_REGISTRY, CurrencyRegistry, Money

log = structlog.get_logger(__name__)


def _signed(kind: str, debits: int, credits: int) -> int:
    if AccountKind(kind).normal_side is Direction.DEBIT:
        return debits - credits
    return credits - debits


async def balance(
    conn: Conn,
    code: str,
    *,
    as_of: datetime | None = None,
    registry: CurrencyRegistry = DEFAULT_REGISTRY,
) -> Money:
    """The account's balance, positive on its normal side, from postings created by `as_of`."""
    row = await queries.account_balance(conn, code, as_of)
    if row is None:
        raise UnknownAccount(f"no ledger account {code!r}")
    amount = _signed(row["kind"], int(row["debits"]), int(row["credits"]))
    return Money(amount, registry.get(row["currency"]))


async def balances(
    conn: Conn,
    *,
    as_of: datetime | None = None,
    registry: CurrencyRegistry = DEFAULT_REGISTRY,
) -> dict[str, Money]:
    """Every account's balance by code (sign convention as `balance`)."""
    rows = await queries.all_balances(conn, as_of)
    return {
        r["code"]: Money(
            _signed(r["kind"], int(r["debits"]), int(r["credits"])), registry.get(r["currency"])
        )
        for r in rows
    }


async def trial_balance(conn: Conn, *, as_of: datetime | None = None) -> dict[str, int]:
    """Debits minus credits over all accounts, per currency code: zero in every currency."""
    totals: dict[str, int] = {}
    for row in await queries.all_balances(conn, as_of):
        net = int(row["debits"]) - int(row["credits"])
        totals[row["currency"]] = totals.get(row["currency"], 0) + net
    return totals


async def take_snapshots(conn: Conn) -> int:
    """Snapshot every account with postings since its last snapshot; returns rows written.

    Run it periodically (e.g. every minute or every few thousand entries) so balance reads
    sum only the postings since the last snapshot.
    """
    with mapped_db_errors():
        written = await queries.insert_snapshots(conn)
    log.debug("ledger_snapshots_taken", accounts=written)
    return written


async def prune_snapshots(conn: Conn, *, older_than: timedelta = timedelta(days=1)) -> int:
    """Keep one snapshot per account and day for snapshots older than `older_than`."""
    with mapped_db_errors():
        return await queries.delete_old_snapshots(conn, datetime.now(UTC) - older_than)


async def snapshot_loop(pool: asyncpg.Pool, *, every_seconds: float = 60.0) -> None:  # float-ok
    """Snapshot (and prune) every `every_seconds` until cancelled: run it as a task.

    Any number of processes may run it; concurrent snapshots of one horizon are skipped.
    Failures are logged and retried at the next tick, since balances stay correct without
    snapshots (only slower).
    """
    while True:
        try:
            async with pool.acquire() as conn:
                await take_snapshots(conn)
                await prune_snapshots(conn)
        except (LedgerError, asyncpg.InterfaceError, OSError) as exc:
            log.warning("ledger_snapshot_failed", error=str(exc))
        await asyncio.sleep(every_seconds)


async def posting_sums(conn: Conn, codes: Sequence[str]) -> dict[str, tuple[int, int]]:
    """(debits, credits) straight from the postings, bypassing snapshots: for audits."""
    return {
        r["code"]: (int(r["debits"]), int(r["credits"]))
        for r in await queries.posting_sums(conn, codes)
    }
