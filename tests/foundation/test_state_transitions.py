"""gateway.states.Transitions: the one guarded-transition helper of the lifecycles."""

from __future__ import annotations

from enum import StrEnum

import pytest

from gateway.errors import IllegalStateTransition
from gateway.states import Transitions


class Light(StrEnum):
    RED = "red"
    GREEN = "green"
    AMBER = "amber"


class IllegalLightMove(IllegalStateTransition):
    pass


MOVES = Transitions("light", Light, frozenset({(Light.RED, Light.GREEN),
                                               (Light.GREEN, Light.AMBER),
                                               (Light.AMBER, Light.RED)}), IllegalLightMove)


def test_a_listed_move_returns_the_target_as_the_enum() -> None:
    assert MOVES.check("red", "green") is Light.GREEN
    assert MOVES.allows(Light.GREEN, Light.AMBER)


def test_an_unlisted_move_raises_the_lifecycles_error_naming_both_ends() -> None:
    with pytest.raises(IllegalLightMove, match="light cannot move from red to amber") as err:
        MOVES.check(Light.RED, Light.AMBER)
    assert (err.value.current, err.value.target) == ("red", "amber")
    assert not MOVES.allows(Light.RED, Light.AMBER)


def test_an_unknown_status_is_illegal_too() -> None:
    with pytest.raises(IllegalLightMove, match="unknown light status") as err:
        MOVES.check("red", "blue")
    assert (err.value.current, err.value.target) == ("red", "blue")
