"""When the Solana watcher asks whether what it treated as final is still there.

The devnet fork test (test_halt.py) shows the halt end to end; these pin the timing rule of
`SolanaWatcher._check_finality` with a fake node, because on a loaded machine the node's
finalized slot can climb past the highest one we saw before our next round: only the periodic
check (SOLANA_FINALITY_CHECK_INTERVAL) then notices the fork.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from gateway.chains.errors import NodeBehind, ReorgTooDeep
from gateway.chains.facts import Cursor, Facts
from gateway.chains.models import BlockRef
from gateway.chains.solana import follow
from gateway.chains.solana.match import FollowedAccount, Treasury
from gateway.chains.solana.rpc import FINALIZED
from gateway.chains.solana.watcher import SolanaWatcher, SolanaWatchOptions

OWNER = "Treasury1111111111111111111111111111111111"
TREASURY = Treasury(OWNER, (FollowedAccount("SOL", OWNER, None, 9),))
FINAL_TX = BlockRef(100, "FinalSignature")


@dataclass
class FakeNode:
    known: set[str] = field(default_factory=lambda: {FINAL_TX.hash})
    final_slot: int = 0
    asked: int = 0

    async def get_slot(self, commitment: str) -> int:
        return self.final_slot

    async def get_signature_statuses(self, signatures: list[str]) -> list[str | None]:
        self.asked += 1
        return [FINALIZED if s in self.known else None for s in signatures]


@dataclass
class FakeSink:
    cursor_at: BlockRef | None = FINAL_TX
    open: list[tuple[str, int]] = field(default_factory=list)  # transfers still `detected`

    async def cursor(self, name: str) -> Cursor | None:
        if name == follow.cursor_name(OWNER, FINALIZED) and self.cursor_at is not None:
            return Cursor("solana", self.cursor_at, self.cursor_at.number, None)
        return None

    async def open_transactions(self, chain: str, limit: int) -> list[tuple[str, int]]:
        return self.open

    async def emit(self, facts: Facts) -> set[str]:
        return set()


def watcher(node: FakeNode, interval: float,  # float-ok
            sink: FakeSink | None = None) -> SolanaWatcher:
    fake: Any = sink or FakeSink()
    rpc: Any = node
    return SolanaWatcher(fake, rpc, TREASURY, references=fake,
                         options=SolanaWatchOptions(finality_check_interval=interval))


async def test_a_fork_the_finalized_slot_already_climbed_past_halts_at_the_next_check() -> None:
    node = FakeNode()
    follower = watcher(node, interval=0)
    await follower._check_finality(120)
    node.known.clear()  # forked away; by our next round the node is past 120 again
    with pytest.raises(ReorgTooDeep, match=r"FinalSignature.*below finality"):
        await follower._check_finality(130)


async def test_between_checks_a_rising_finalized_slot_asks_nothing() -> None:
    node = FakeNode()
    follower = watcher(node, interval=3600)
    for slot in (120, 121, 150):
        await follower._check_finality(slot)
    assert node.asked == 1  # the first round only


async def test_a_node_behind_our_cursor_is_retried_not_halted_even_without_our_transaction(
        ) -> None:
    """A replica behind may not have our transaction yet: NodeBehind (the chain turns lagging
    if it lasts); once its slot passes ours, a missing transaction is a fork."""
    node = FakeNode()
    follower = watcher(node, interval=3600)
    await follower._check_finality(120)
    node.known.clear()
    with pytest.raises(NodeBehind, match="below slot 100"):
        await follower._check_finality(90)
    assert node.asked == 1
    with pytest.raises(ReorgTooDeep):
        await follower._check_finality(110)  # still below the highest seen (120): asked again


async def test_a_transfer_the_sweep_finalized_before_any_cursor_passed_it_is_checked() -> None:
    """The sweep settles a transfer whose slot is final before `_finalize` moves a cursor
    over it (here: no finalized cursor yet at all); a fork taking it away still halts."""
    node = FakeNode(known={"SweptSignature"}, final_slot=20)
    follower = watcher(node, interval=0, sink=FakeSink(cursor_at=None,
                                                       open=[("SweptSignature", 10)]))
    await follower.sweep()
    await follower._check_finality(20)
    node.known.clear()
    with pytest.raises(NodeBehind):
        await follower._check_finality(5)  # the fork's node is below slot 10 at first
    with pytest.raises(ReorgTooDeep, match="SweptSignature"):
        await follower._check_finality(30)
