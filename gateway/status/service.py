"""The state rules of a chain, and the in-process cache invoice creation reads them from.

A chain is
- `halted` while a broken invariant stands (set by its watcher, cleared by `chains resync`);
- `lagging` when its watcher has not been at the node's head, or the node's head has not
  advanced, or no watcher has reported at all, for longer than CHAIN_LAG_LIMIT (a failed or
  stuck node, a watcher catching up, a dead watcher process);
- `live` otherwise. A chain no watcher reports on, because none ever did or the last one
  stopped on purpose (shutdown, `GATEWAY_WATCHERS=off`), counts as live: nothing is known
  against it. A watcher that crashes stops its heartbeat without standing down: lagging.
While a chain is not live its assets are withdrawn from new invoices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cachetools import TTLCache

from gateway.status import queries as q
from gateway.status.errors import ChainUnavailable
from settlement.db import Conn

LIVE, LAGGING, HALTED = "live", "lagging", "halted"
STATES = (LIVE, LAGGING, HALTED)
CHAIN_NAMES = {"bsc": "BNB Chain", "solana": "Solana"}
FAILING = "the watcher's steps fail (node unreachable or answering errors; see the log)"
CACHE_SECONDS = 1.0  # float-ok; how stale invoice creation's view of the chains may be


@dataclass(frozen=True)
class ChainState:
    chain: str
    state: str
    head: int | None = None
    scanned: int | None = None
    finalized: int | None = None
    lag_seconds: int | None = None
    reason: str | None = None
    since: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "head": self.head, "scanned": self.scanned,
                "finalized": self.finalized, "lag_seconds": self.lag_seconds,
                "reason": self.reason,
                "since": self.since.isoformat() if self.since is not None else None}


def _seconds(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds()))


def _lagging(row: Mapping[str, Any], now: datetime,
             limit: timedelta) -> tuple[str, datetime] | None:
    """Why and since when the chain is lagging, or None."""
    beat, caught_up, moved = row["heartbeat_at"], row["caught_up_at"], row["head_moved_at"]
    if now - beat > limit:
        return f"no watcher has reported since {beat.isoformat()}", beat
    error = row["last_error"]
    if caught_up is not None and now - caught_up > limit:
        behind = f"scanned {row['scanned']} of head {row['head']}"
        # /v1/status is public: an RPC error names the node's URL, which may carry a
        # provider key. The error itself is in the log and in chain_status.last_error.
        return (FAILING if error else f"behind the node: {behind}"), caught_up
    if moved is not None and now - moved > limit:
        return f"the node's head has not advanced since {moved.isoformat()}", moved
    return None


def state_of(chain: str, row: Mapping[str, Any] | None, now: datetime,
             lag_limit: timedelta) -> ChainState:
    """The chain's state from its status row (None: never reported) at `now`."""
    if row is None or (row["heartbeat_at"] is None and row["halted_reason"] is None):
        return ChainState(chain, LIVE)
    caught_up = row["caught_up_at"]
    lag = _seconds(now - caught_up) if caught_up is not None else None
    known = {"head": row["head"], "scanned": row["scanned"], "finalized": row["finalized"],
             "lag_seconds": lag}
    if row["halted_reason"] is not None:
        return ChainState(chain, HALTED, reason=row["halted_reason"], since=row["halted_at"],
                          **known)
    if row["heartbeat_at"] is None:
        return ChainState(chain, LIVE, **known)
    lagging = _lagging(row, now, lag_limit)
    if lagging is not None:
        return ChainState(chain, LAGGING, reason=lagging[0], since=lagging[1], **known)
    return ChainState(chain, LIVE, **known)


def states_of(chains: Sequence[str], rows: Sequence[Mapping[str, Any]], now: datetime,
              lag_limit: timedelta) -> dict[str, ChainState]:
    by_chain = {row["chain"]: row for row in rows}
    return {chain: state_of(chain, by_chain.get(chain), now, lag_limit) for chain in chains}


def not_live(states: Mapping[str, ChainState]) -> dict[str, ChainState]:
    return {chain: s for chain, s in states.items() if s.state != LIVE}


def unavailable_error(states: Sequence[ChainState]) -> ChainUnavailable:
    names = ", ".join(f"{CHAIN_NAMES.get(s.chain, s.chain)} ({s.chain}) is {s.state}"
                      for s in states)
    return ChainUnavailable(f"No asset asked for can be offered now: {names}. "
                            "See GET /v1/status.", param="assets")


class StatusCache:
    """The chains' states as invoice creation sees them: one query per CACHE_SECONDS per
    process at most, never one per invoice."""

    def __init__(self, chains: Sequence[str], lag_limit: timedelta,
                 ttl: float = CACHE_SECONDS) -> None:  # float-ok
        self.chains = tuple(chains)
        self.lag_limit = lag_limit
        self._rows: TTLCache[str, list[dict[str, Any]]] = TTLCache(maxsize=1, ttl=ttl)

    async def states(self, conn: Conn) -> dict[str, ChainState]:
        rows = self._rows.get("rows")
        if rows is None:
            rows = await q.select_all(conn)
            self._rows["rows"] = rows
        return states_of(self.chains, rows, datetime.now(UTC), self.lag_limit)

    def forget(self) -> None:
        self._rows.clear()


async def current_states(conn: Conn, chains: Sequence[str],
                         lag_limit: timedelta) -> dict[str, ChainState]:
    """Uncached: for /v1/status, /metrics and the CLI."""
    return states_of(chains, await q.select_all(conn), datetime.now(UTC), lag_limit)


async def resynced(conn: Conn, chain: str, fork_block: int,
                   vanished: Sequence[int]) -> None:
    """An operator's resync went through: the booked transfers the chain no longer has are
    kept for a decision, and the halt is lifted (the watcher resumes within a heartbeat)."""
    if vanished:
        await q.insert_vanished(conn, chain, fork_block, vanished)
    await q.clear_halt(conn, chain)


async def final_above(conn: Conn, chain: str, block: int) -> list[q.Row]:
    """Finalized (booked) transfers above `block`: the ones a resync must account for."""
    return await q.select_final_above(conn, chain, block)


async def vanished(conn: Conn, chain: str) -> list[q.Row]:
    return await q.select_vanished(conn, chain)
