"""The chaos run inside `make test`: the harness of `make chaos` with 50 invoices
(CHAOS_INVOICES overrides it), gateway processes SIGKILLed at random and BNB Chain reorgs
while the simulator pays (tests/chaos/run.py); it fails on any problem the end checks find."""

from __future__ import annotations

import os

import pytest

from tests.chaos.run import run_chaos

# Slow: the whole gateway in subprocesses, with its devnets and database.
pytestmark = pytest.mark.slow

TEST_INVOICES = 50


def test_every_coin_is_accounted_for_through_kills_and_reorgs() -> None:
    report = run_chaos(int(os.environ.get("CHAOS_INVOICES", TEST_INVOICES)))
    print("\n".join(report.lines()))
    assert report.verdict.problems == [], "\n".join(report.lines())
    # The run must have been chaotic and must have paid: a quiet run proves nothing.
    assert sum(report.kills.values()) >= 1
    assert report.verdict.transfers["booked"] > 0
    assert report.tally.failed_invoices == []  # the API always came back
