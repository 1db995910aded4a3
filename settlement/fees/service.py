"""Fee rules: effective-dated schedules per merchant and the fee of one invoice.

fee = max(minimum, round_half_up(amount * bps / 10000) + fixed), never more than the amount
itself (a merchant is never charged more than the sale). All amounts in tiyn.

A schedule row takes effect at `effective_from` (now or later, never in the past) and stays in
effect until the next row of the merchant; rows that were in effect are immutable (database
trigger), so the fee of any past invoice can be recomputed exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg
import structlog

from settlement.booking import fee_for
from settlement.db import Conn
from settlement.errors import InvalidAmount
from settlement.fees import queries
from settlement.fees.errors import FeeScheduleHistory, InvalidFeeSchedule, NoFeeSchedule

log = structlog.get_logger(__name__)
MAX_BPS = 10_000


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """One effective-dated row: basis points, fixed tiyn per invoice, minimum tiyn."""

    id: int
    merchant_id: str
    effective_from: datetime
    bps: int
    fixed: int
    minimum: int

    def fee(self, amount_tiyn: int) -> int:
        return compute_fee(amount_tiyn, bps=self.bps, fixed=self.fixed, minimum=self.minimum)


def compute_fee(amount_tiyn: int, *, bps: int, fixed: int, minimum: int) -> int:
    """The fee in tiyn for an invoice of `amount_tiyn` (rule in the module docstring)."""
    try:
        fee = fee_for(amount_tiyn, bps, fixed, minimum)
    except InvalidAmount as exc:
        raise InvalidFeeSchedule(str(exc)) from exc
    # booking.fee_for leaves the cap to the caller: a fee never exceeds the sale.
    return min(amount_tiyn, fee)


def _schedule(row: asyncpg.Record) -> FeeSchedule:
    return FeeSchedule(
        id=row["id"], merchant_id=row["merchant_id"], effective_from=row["effective_from"],
        bps=row["bps"], fixed=row["fixed"], minimum=row["minimum"],
    )


def _check_values(bps: int, fixed: int, minimum: int) -> None:
    for name, value in (("bps", bps), ("fixed", fixed), ("minimum", minimum)):
        if type(value) is not int or value < 0:
            raise InvalidFeeSchedule(f"{name} must be a non-negative int, got {value!r}")
    if bps > MAX_BPS:
        raise InvalidFeeSchedule(f"bps must be at most {MAX_BPS}, got {bps}")


async def set_fee_schedule(
    conn: Conn,
    merchant_id: str,
    *,
    bps: int,
    fixed: int = 0,
    minimum: int = 0,
    effective_from: datetime | None = None,
) -> FeeSchedule:
    """Add a schedule taking effect at `effective_from` (default: now, the database clock).

    Raises InvalidFeeSchedule for bad values, a moment in the past or a second row for the
    same moment.
    """
    _check_values(bps, fixed, minimum)
    if effective_from is not None and effective_from.tzinfo is None:
        raise InvalidFeeSchedule("effective_from must be timezone-aware")
    try:
        async with conn.transaction():
            row = await queries.insert_fee_schedule(
                conn, merchant_id, effective_from, bps, fixed, minimum
            )
    except asyncpg.UniqueViolationError as exc:
        raise InvalidFeeSchedule(
            f"merchant {merchant_id} already has a schedule from {effective_from}"
        ) from exc
    except asyncpg.PostgresError as exc:
        if exc.sqlstate == "SE002":
            raise InvalidFeeSchedule(str(exc)) from exc
        if exc.sqlstate == "SE001":
            raise FeeScheduleHistory(str(exc)) from exc
        raise
    schedule = _schedule(row)
    log.info("fee_schedule_set", merchant_id=merchant_id, bps=bps, fixed=fixed,
             minimum=minimum, effective_from=schedule.effective_from.isoformat())
    return schedule


async def fee_schedule_at(conn: Conn, merchant_id: str, at: datetime | None) -> FeeSchedule:
    """The schedule in effect for the merchant at `at` (now when None)."""
    row = await queries.fee_schedule_at(conn, merchant_id, at)
    if row is None:
        raise NoFeeSchedule(f"merchant {merchant_id} has no fee schedule in effect at {at}")
    return _schedule(row)


async def fee_schedules(conn: Conn, merchant_id: str) -> list[FeeSchedule]:
    """The merchant's schedule history, oldest first."""
    return [_schedule(r) for r in await queries.fee_schedules(conn, merchant_id)]


async def fee_for_invoice(
    conn: Conn, merchant_id: str, at: datetime | None, amount_tiyn: int
) -> int:
    """The fee in tiyn for an invoice of `amount_tiyn` settled at `at` (the watcher calls it)."""
    schedule = await fee_schedule_at(conn, merchant_id, at)
    return schedule.fee(amount_tiyn)
