"""What a scrape reports from PostgreSQL: one read per scrape (cached briefly), turned into
metric families by `DatabaseCollector.collect` (prometheus-client calls it synchronously, so
the async reads happen first, in `refresh`).

Per chain (from chain_status, the same rules as GET /v1/status): state (one series per state,
1 for the current one), head, scanned and finalized heights, lag seconds, and the transfers,
reorgs and errors the watchers counted; open invoices by status; the webhook queue's depth
and oldest due delivery; stranded (unmatched, unapplied, wrong-asset) base units by asset;
refunds waiting for their refund wallet to be funded, by chain.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway.metrics import queries as q
from gateway.status.service import STATES, ChainState, current_states
from settlement.db import Conn

SCRAPE_CACHE_SECONDS = 5.0  # float-ok; scrapes closer together than this share one read


@dataclass
class Snapshot:
    chains: dict[str, ChainState] = field(default_factory=dict)
    counters: dict[str, dict[str, int]] = field(default_factory=dict)
    open_invoices: dict[str, int] = field(default_factory=dict)
    queue_depth: int = 0
    queue_oldest_due_s: int = 0
    stranded: dict[str, int] = field(default_factory=dict)
    refunds_waiting_for_funds: dict[str, int] = field(default_factory=dict)


def _gauge(name: str, doc: str, labels: Sequence[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=list(labels))


class DatabaseCollector(Collector):
    def __init__(self, chains: Sequence[str], lag_limit: timedelta) -> None:
        self.chains = tuple(chains)
        self.lag_limit = lag_limit
        self.snapshot = Snapshot()
        self._read_at: float | None = None  # float-ok

    async def refresh(self, conn: Conn) -> None:
        now = time.monotonic()
        if self._read_at is not None and now - self._read_at < SCRAPE_CACHE_SECONDS:
            return
        queue = await q.webhook_queue(conn)
        self.snapshot = Snapshot(
            chains=await current_states(conn, self.chains, self.lag_limit),
            counters={r["chain"]: {"transfers": r["transfers"], "reorgs": r["reorgs"],
                                   "errors": r["errors"]}
                      for r in await q.chain_counters(conn)},
            open_invoices={r["status"]: r["n"] for r in await q.open_invoices(conn)},
            queue_depth=queue["depth"], queue_oldest_due_s=max(0, queue["oldest_due_s"]),
            stranded={r["asset"]: int(r["units"]) for r in await q.stranded(conn)},
            refunds_waiting_for_funds={r["chain"]: r["n"] for r in
                                       await q.refunds_waiting_for_funds(conn)},
        )
        self._read_at = now

    def collect(self) -> Iterator[Metric]:
        yield from self._chains()
        snap = self.snapshot
        invoices = _gauge("ccp_open_invoices", "Open invoices by status.", ["status"])
        for status in ("new", "processing"):
            invoices.add_metric([status], snap.open_invoices.get(status, 0))
        yield invoices
        yield GaugeMetricFamily("ccp_webhook_queue_depth", "Webhook deliveries pending.",
                                value=snap.queue_depth)
        yield GaugeMetricFamily("ccp_webhook_queue_oldest_due_seconds",
                                "How long the oldest pending delivery has been due.",
                                value=snap.queue_oldest_due_s)
        stranded = _gauge("ccp_stranded_base_units", "Money that reached us and is not part "
                          "of a sale (unmatched, unapplied, wrong asset), in the asset's base "
                          "units.", ["asset"])
        for asset, units in sorted(snap.stranded.items()):
            stranded.add_metric([asset], units)
        yield stranded
        waiting = _gauge("ccp_refunds_waiting_for_funds", "Refunds held back because the "
                         "chain's refund wallet cannot pay them (pending_reason "
                         "insufficient_funds): fund the wallet.", ["chain"])
        for chain in self.chains:
            waiting.add_metric([chain], snap.refunds_waiting_for_funds.get(chain, 0))
        yield waiting

    def _chains(self) -> Iterator[Metric]:
        snap = self.snapshot
        state = _gauge("ccp_chain_state", "1 for the chain's current state (live, lagging, "
                       "halted), 0 for the others.", ["chain", "state"])
        heights = {name: _gauge(f"ccp_chain_{name}", doc, ["chain"]) for name, doc in (
            ("head", "The node's newest block (Solana: slot)."),
            ("scanned", "Processed completely through this block / slot."),
            ("finalized", "Treated as final through this block / slot."),
            ("lag_seconds", "Seconds since the watcher was last at the node's head."))}
        counters = {name: CounterMetricFamily(f"ccp_chain_{name}", doc, labels=["chain"])
                    for name, doc in (("transfers", "Transfers the watchers detected."),
                                      ("reorgs", "Reorgs the watchers followed."),
                                      ("errors", "Failed watcher steps."))}
        for chain, found in snap.chains.items():
            for name in STATES:
                state.add_metric([chain, name], 1 if found.state == name else 0)
            for name, value in (("head", found.head), ("scanned", found.scanned),
                                ("finalized", found.finalized),
                                ("lag_seconds", found.lag_seconds)):
                if value is not None:
                    heights[name].add_metric([chain], value)
            for name, family in counters.items():
                family.add_metric([chain], snap.counters.get(chain, {}).get(name, 0))
        yield state
        yield from heights.values()
        yield from counters.values()
