"""Random sequences of balanced entries keep the books consistent (hypothesis, real DB)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from settlement import ledger
from settlement.ledger import AccountKind, AccountSpec, Posting, credit, debit
from settlement.money import BSC_BNB, KZT, Currency, allocate
from tests.settlement.helpers import uid

# Per currency: (kind of each of the example's accounts, the largest amount of one line).
ACCOUNTS: dict[Currency, tuple[list[AccountKind], int]] = {
    KZT: ([AccountKind.ASSET, AccountKind.LIABILITY, AccountKind.REVENUE], 10**12),
    BSC_BNB: ([AccountKind.ASSET, AccountKind.EQUITY], 2**200),
}


@dataclass(frozen=True)
class Leg:
    """One currency's lines of an entry: debits by account index, credits split by weights."""

    currency: Currency
    debits: list[tuple[int, int]]
    credit_weights: list[tuple[int, int]]


def legs(cur: Currency) -> st.SearchStrategy[Leg]:
    kinds, biggest = ACCOUNTS[cur]
    index = st.integers(0, len(kinds) - 1)
    return st.builds(
        Leg,
        st.just(cur),
        st.lists(st.tuples(index, st.integers(1, biggest)), min_size=1, max_size=3),
        st.lists(st.tuples(index, st.integers(1, 1000)), min_size=1, max_size=3),
    )


entries = st.tuples(
    st.lists(st.one_of(legs(KZT), legs(BSC_BNB)), min_size=1, max_size=3),
    st.booleans(),  # take snapshots after this entry
)


def _postings(specs: dict[Currency, list[AccountSpec]], legs_: list[Leg]) -> list[Posting]:
    postings: list[Posting] = []
    for leg in legs_:
        accounts = specs[leg.currency]
        postings += [debit(accounts[i], amount) for i, amount in leg.debits]
        total = sum(amount for _, amount in leg.debits)
        parts = allocate(total, [w for _, w in leg.credit_weights])
        postings += [
            credit(accounts[i], part)
            for (i, _), part in zip(leg.credit_weights, parts, strict=True)
            if part > 0
        ]
    return postings


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=st.lists(entries, min_size=1, max_size=6))
async def test_random_entries_keep_trial_balance_zero(
    db_pool: asyncpg.Pool, plan: list[tuple[list[Leg], bool]]
) -> None:
    specs = {
        cur: [AccountSpec(f"prop:{uid(kind.value)}", cur, kind) for kind in kinds]
        for cur, (kinds, _) in ACCOUNTS.items()
    }
    expected: dict[str, list[int]] = {s.code: [0, 0] for ss in specs.values() for s in ss}
    async with db_pool.acquire() as conn:
        await ledger.ensure_accounts(conn, [s for ss in specs.values() for s in ss])
        for legs_, snapshot in plan:
            postings = _postings(specs, legs_)
            await ledger.post(conn, idempotency_key=uid("prop"), kind="prop", postings=postings)
            for p in postings:
                expected[p.account.code][p.direction is ledger.Direction.CREDIT] += p.amount.amount
            if snapshot:
                await ledger.take_snapshots(conn)

        assert set((await ledger.trial_balance(conn)).values()) <= {0}
        sums = await ledger.posting_sums(conn, list(expected))
        for spec in (s for ss in specs.values() for s in ss):
            debits, credits = expected[spec.code]
            assert sums[spec.code] == (debits, credits)
            signed = debits - credits if spec.kind is AccountKind.ASSET else credits - debits
            assert (await ledger.balance(conn, spec.code)).amount == signed
