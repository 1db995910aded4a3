"""The chain state rules (gateway.status.service): live, lagging, halted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.chains.health import Health
from gateway.status.errors import ChainUnavailable
from gateway.status.service import (
    FAILING,
    HALTED,
    LAGGING,
    LIVE,
    ChainState,
    not_live,
    state_of,
    states_of,
    unavailable_error,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LIMIT = timedelta(seconds=60)


def row(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "chain": "bsc", "head": 120, "scanned": 120, "finalized": 100,
        "caught_up_at": NOW - timedelta(seconds=1), "head_moved_at": NOW - timedelta(seconds=1),
        "last_error": None, "heartbeat_at": NOW - timedelta(seconds=2),
        "halted_reason": None, "halted_at": None, "transfers": 0, "reorgs": 0, "errors": 0,
    }
    return {**base, **changes}


def test_a_current_watcher_is_live() -> None:
    state = state_of("bsc", row(), NOW, LIMIT)
    assert (state.state, state.head, state.scanned, state.finalized, state.lag_seconds,
            state.reason, state.since) == (LIVE, 120, 120, 100, 1, None, None)


def test_a_chain_nobody_reported_on_counts_as_live() -> None:
    assert state_of("solana", None, NOW, LIMIT) == ChainState("solana", LIVE)


def test_a_watcher_that_stood_down_leaves_its_chain_live() -> None:
    state = state_of("bsc", row(heartbeat_at=None, caught_up_at=NOW - timedelta(days=1)),
                     NOW, LIMIT)
    assert (state.state, state.reason) == (LIVE, None)


def test_a_halt_wins_over_everything_and_keeps_its_reason_and_time() -> None:
    since = NOW - timedelta(hours=1)
    state = state_of("bsc", row(halted_reason="fork at 90 is below finalized block 100",
                                halted_at=since, heartbeat_at=NOW - timedelta(days=1)),
                     NOW, LIMIT)
    assert (state.state, state.reason, state.since) == (
        HALTED, "fork at 90 is below finalized block 100", since)


def test_a_halt_without_any_heartbeat_is_still_halted() -> None:
    state = state_of("bsc", row(heartbeat_at=None, head=None, scanned=None, finalized=None,
                                caught_up_at=None, head_moved_at=None,
                                halted_reason="r", halted_at=NOW), NOW, LIMIT)
    assert state.state == HALTED and state.lag_seconds is None


def test_a_failing_node_beyond_the_limit_is_lagging_with_the_error() -> None:
    since = NOW - timedelta(seconds=61)
    state = state_of("bsc", row(caught_up_at=since, last_error="connection refused"),
                     NOW, LIMIT)
    assert (state.state, state.lag_seconds, state.since) == (LAGGING, 61, since)
    assert state.reason == FAILING and "refused" not in state.reason  # no node URL leaks


def test_within_the_limit_a_failing_node_is_still_live() -> None:
    state = state_of("bsc", row(caught_up_at=NOW - timedelta(seconds=59),
                                last_error="timeout"), NOW, LIMIT)
    assert (state.state, state.lag_seconds) == (LIVE, 59)


def test_a_watcher_behind_its_node_is_lagging() -> None:
    state = state_of("bsc", row(head=5_000, scanned=1_000,
                                caught_up_at=NOW - timedelta(minutes=5)), NOW, LIMIT)
    assert (state.state, state.reason) == (LAGGING, "behind the node: scanned 1000 of head 5000")


def test_a_node_whose_head_stopped_is_lagging() -> None:
    moved = NOW - timedelta(minutes=2)
    state = state_of("bsc", row(head_moved_at=moved), NOW, LIMIT)
    assert (state.state, state.since) == (LAGGING, moved)
    assert state.reason is not None and "has not advanced" in state.reason


def test_a_silent_watcher_is_lagging() -> None:
    beat = NOW - timedelta(minutes=3)
    state = state_of("bsc", row(heartbeat_at=beat), NOW, LIMIT)
    assert (state.state, state.since) == (LAGGING, beat)
    assert state.reason is not None and state.reason.startswith("no watcher has reported")


def test_every_known_chain_is_listed_and_not_live_picks_the_others() -> None:
    states = states_of(("bsc", "solana"), [row(halted_reason="r", halted_at=NOW)], NOW, LIMIT)
    assert list(states) == ["bsc", "solana"]
    assert list(not_live(states)) == ["bsc"]


def test_the_unavailable_error_names_the_chain() -> None:
    error = unavailable_error([ChainState("bsc", HALTED)])
    assert isinstance(error, ChainUnavailable)
    assert (error.status, error.code, error.param) == (503, "chain_unavailable", "assets")
    assert "BNB Chain (bsc) is halted" in error.message


@pytest.mark.parametrize("head", [10, 11])
def test_health_is_caught_up_only_at_the_head(head: int) -> None:
    health = Health()
    started = health.caught_up_at
    health.observed(head)
    health.failed("boom")
    health.progressed(10, 8)
    assert (health.scanned, health.finalized, health.last_error, health.errors) == (
        10, 8, None, 1)
    assert (health.caught_up_at is not started) is (head == 10)  # reset only at the head
