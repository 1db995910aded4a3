"""Treasury conversions: average cost of the FX position and the realised FX result."""

from __future__ import annotations

import secrets

import asyncpg
import pytest

from settlement import ledger
from settlement.fees.errors import InsufficientPosition, InvalidConversion
from settlement.fees.fx import average_cost, convert
from settlement.money import Currency, CurrencyRegistry, build_registry
from tests.settlement_flow.helpers import merchant_id, settle_invoice

UNIT = 10**18


def _private_asset() -> tuple[Currency, CurrencyRegistry]:
    """A BEP-20 asset only this test books: the FX position is per currency, zone-wide."""
    cur = Currency(f"bsc:T{secrets.token_hex(4)}", 18)
    return cur, CurrencyRegistry([*build_registry(), cur])


def test_average_cost_rounds_half_up_and_releases_everything_at_the_end() -> None:
    assert average_cost(1, 3, 100) == 33  # 33.33
    assert average_cost(2, 3, 100) == 67  # 66.67
    assert average_cost(3, 3, 100) == 100


async def test_conversion_gain_then_loss(conn: asyncpg.Connection) -> None:
    cur, registry = _private_asset()
    m = merchant_id()
    # 10 units booked at 5,000.00 KZT and 30 units at 15,600.00 KZT: 40 units cost 2,060,000.
    await settle_invoice(conn, m, asset=cur, units=10 * UNIT, kzt_gross=500_000, fee=5_000)
    await settle_invoice(conn, m, asset=cur, units=30 * UNIT, kzt_gross=1_560_000, fee=15_600)
    # Sell 20 for 10,400.00 KZT: cost 20/40 * 2,060,000 = 1,030,000; gain 10,000.
    first = await convert(conn, asset=cur.code, units=20 * UNIT, kzt_received=1_040_000,
                          reference=f"r-{secrets.token_hex(4)}", registry=registry)
    assert (first.cost, first.fx_result) == (1_030_000, 10_000)
    # Sell the other 20 for 10,000.00 KZT: the remaining cost 1,030,000; loss 30,000.
    second = await convert(conn, asset=cur.code, units=20 * UNIT, kzt_received=1_000_000,
                           registry=registry)
    assert (second.cost, second.fx_result) == (1_030_000, -30_000)
    lines = await ledger.entry_postings(conn, second.entry_id, registry=registry)
    assert {(p.account.code, p.direction.value, p.amount.amount) for p in lines} == {
        (f"custody:{cur.code}", "credit", 20 * UNIT),
        (f"fx_position:{cur.code}", "debit", 20 * UNIT),
        ("bank", "debit", 1_000_000),
        ("fx_position:KZT", "credit", 1_030_000),
        ("fx_result", "debit", 30_000),
    }
    for code in (f"custody:{cur.code}", f"fx_position:{cur.code}"):
        assert (await ledger.balance(conn, code, registry=registry)).amount == 0
    # Replaying a reference returns the first booking; the position is empty now.
    replay = await convert(conn, asset=cur.code, units=20 * UNIT, kzt_received=1_040_000,
                           reference=first.reference, registry=registry)
    assert (replay.entry_id, replay.created) == (first.entry_id, False)
    with pytest.raises(InsufficientPosition):
        await convert(conn, asset=cur.code, units=1, kzt_received=1, registry=registry)
    with pytest.raises(InvalidConversion):
        await convert(conn, asset="KZT", units=1, kzt_received=1)
