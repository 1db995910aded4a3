"""Guarded status transitions, one helper for every lifecycle that keeps a table of moves.

A lifecycle (invoices, refunds) names its statuses as a `StrEnum` and its legal moves as a
set of `(from, to)` pairs; `Transitions.check` is what every code path calls before it
writes a status (the SQL UPDATE is then guarded by `WHERE status = $expected`, so a
concurrent change is not overwritten). A move the table does not list, or a status the enum
does not know, raises the lifecycle's own `IllegalStateTransition` subclass, naming both ends:
`"<kind> cannot move from <from> to <to>"`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from gateway.errors import IllegalStateTransition

S = TypeVar("S", bound=StrEnum)


@dataclass(frozen=True)
class Transitions(Generic[S]):
    """The legal moves of one lifecycle."""

    kind: str  # what moves, as messages name it: "invoice", "refund"
    states: type[S]
    allowed: frozenset[tuple[S, S]]
    error: type[IllegalStateTransition]

    def allows(self, current: S, target: S) -> bool:
        return (current, target) in self.allowed

    def check(self, current: S | str, target: S | str) -> S:
        """The target status when `current -> target` is legal; raises `self.error`."""
        try:
            cur, tgt = self.states(current), self.states(target)
        except ValueError as exc:
            raise self.error(f"unknown {self.kind} status in {current!r} -> {target!r}",
                             current=str(current), target=str(target)) from exc
        if (cur, tgt) not in self.allowed:
            raise self.error(f"{self.kind} cannot move from {cur} to {tgt}",
                             current=cur.value, target=tgt.value)
        return tgt
