"""The invoice state machine: exactly DESIGN.md's moves plus late acceptance and reorg undo."""

from __future__ import annotations

import itertools

import pytest

from gateway.invoices.errors import IllegalTransition
from gateway.invoices.states import ALLOWED, InvoiceStatus, can_transition, transition

S = InvoiceStatus
EXPECTED = {
    (S.NEW, S.PROCESSING), (S.PROCESSING, S.SETTLED), (S.NEW, S.EXPIRED),
    (S.PROCESSING, S.INVALID), (S.NEW, S.CANCELLED),
    (S.EXPIRED, S.PROCESSING), (S.EXPIRED, S.SETTLED),  # accepted late payment
    (S.PROCESSING, S.NEW),  # a reorg removed the only payment
}


def test_allowed_is_exactly_the_documented_set() -> None:
    assert set(ALLOWED) == EXPECTED


@pytest.mark.parametrize("current,target", list(itertools.product(S, S)))
def test_transition_accepts_allowed_and_refuses_the_rest(current: S, target: S) -> None:
    if (current, target) in EXPECTED:
        assert transition(current, target) is target
        assert can_transition(current, target)
    else:
        with pytest.raises(IllegalTransition):
            transition(current, target)


def test_unknown_status_is_illegal() -> None:
    with pytest.raises(IllegalTransition):
        transition("new", "paid")
