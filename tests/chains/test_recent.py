"""The ring of recent transfers and the watched set's record of keys that entered it."""

from __future__ import annotations

import random

import asyncpg

from gateway.chains.recent import RecentTransfers
from gateway.chains.watched import WatchedSet


def test_ring_keeps_the_last_blocks_and_finds_by_key() -> None:
    ring: RecentTransfers[str] = RecentTransfers(3)
    for block in range(1, 6):
        ring.remember(block, [(f"0x{block}", f"t{block}"), ("0xhot", f"hot{block}")])
    assert (ring.blocks, len(ring), ring.highest) == (3, 6, 5)
    assert ring.find(["0x1", "0x2"]) == []  # forgotten: older than the last 3 blocks
    assert ring.find({"0x4": "inv", "0xnone": "inv"}) == ["t4"]
    assert ring.find(["0xhot"]) == ["hot3", "hot4", "hot5"]


def test_ring_forgets_reorged_blocks() -> None:
    ring: RecentTransfers[str] = RecentTransfers(10)
    for block in (7, 8, 9):
        ring.remember(block, [("0xa", f"a{block}")])
    ring.forget_above(7)
    assert ring.find(["0xa"]) == ["a7"]
    # A block number seen again (re-scan after a fork) replaces what was held from there up.
    ring.remember(8, [("0xa", "a8'")])
    ring.remember(9, [])
    ring.remember(8, [("0xb", "b8''")])
    assert (ring.find(["0xa"]), ring.find(["0xb"]), ring.highest) == (["a7"], ["b8''"], 8)
    ring.clear()
    assert (ring.blocks, ring.find(["0xa"])) == (0, [])


def _row(invoice: str, address: str | None, reference: str | None) -> dict[str, str | None]:
    return {"id": invoice, "bsc_address": address, "solana_reference": reference}


def test_watched_set_reports_keys_that_entered(db_pool: asyncpg.Pool) -> None:
    watched = WatchedSet("postgresql://unused", db_pool)
    watched.add_rows([_row("inv_1", "0xAbC", "Ref1")])
    assert watched.take_new_keys() == {}  # nobody tracks: nothing accumulates
    watched.track_new_keys()
    watched.add_rows([_row("inv_1", "0xAbC", "Ref1"), _row("inv_2", "0xDEF", None)])
    assert watched.take_new_keys() == {"0xdef": "inv_2"}  # inv_1 was known already
    assert watched.take_new_keys() == {}
    watched.add_rows([_row("inv_3", None, "Ref3")])
    assert watched.take_new_keys() == {"Ref3": "inv_3"}


def test_the_index_follows_the_blocks_held_whichever_end_they_leave_by() -> None:
    """Keys repeat within and across blocks; blocks leave as the oldest (capacity) and as the
    newest (reorgs): `find` always answers exactly what the held blocks hold."""
    rng = random.Random(11)
    ring: RecentTransfers[str] = RecentTransfers(capacity=6)
    held: list[tuple[int, list[tuple[str, str]]]] = []
    block = 0
    for _ in range(400):
        if held and rng.random() < 0.15:
            fork = max(0, block - rng.randint(1, 4))
            ring.forget_above(fork)
            held = [(n, items) for n, items in held if n <= fork]
            block = fork
        block += 1
        items = [(f"k{rng.randint(0, 5)}", f"{block}.{j}") for j in range(rng.randint(0, 4))]
        ring.remember(block, items)
        held = [*held, (block, items)][-6:]
        for key in (f"k{n}" for n in range(6)):
            assert ring.find([key]) == [v for _, items in held for k, v in items if k == key]
    assert len(ring) == sum(len(items) for _, items in held)
