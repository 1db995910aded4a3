"""The watched set: deposit addresses and Solana references of the invoices a watcher must
see payments for, in memory, so matching a block costs dict lookups (not queries, not one
RPC call per invoice).

Loaded at start and kept current through `LISTEN ccp_events`: every `invoice.created`
notice (sent at commit by any API process, gateway.events.outbox) adds that invoice, from
the deposit address and reference the notice carries (`watch`; a notice without them costs
one query). A
full reload every `reload_interval` drops invoices that are settled, cancelled or past
their monitoring window. The set is `ready` only while its LISTEN connection is alive: after
a disconnect notices may have been missed, so the watcher pauses (never scans a block
against a stale set) until the set is reconnected and reloaded.

Beside the open invoices, the set knows every BNB Chain deposit address ever issued
(`issued`, gateway.chains.issued: 8 bytes an address), loaded with each LISTEN session and
grown by the same notices, so a payment to a finished invoice's address is still recorded:
`invoices_for_addresses` resolves such a hit with one indexed query.

A watcher that keeps recent transfers (gateway.chains.recent) calls `track_new_keys()` once
and then `take_new_keys()` before each step: the addresses and references that entered the
set since (by a notice or a reload), to be matched against blocks scanned before they did.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterable
from typing import Any

import asyncpg
from eth_utils.address import to_checksum_address

from gateway.chains import queries as q
from gateway.chains.issued import IssuedAddresses
from gateway.log import get_logger

log = get_logger(__name__)

CHANNEL = "ccp_events"
CREATED = "invoice.created"
_KEEPALIVE_S = 2.0


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


class WatchedSet:
    """address (lower-case hex) -> invoice id, and Solana reference -> invoice id."""

    def __init__(self, dsn: str, pool: asyncpg.Pool, *, reload_interval: float = 60.0,  # float-ok
                 reconnect_delay: float = 1.0) -> None:  # float-ok
        self.dsn = dsn
        self.pool = pool
        self.reload_interval = reload_interval
        self.reconnect_delay = reconnect_delay
        self.addresses: dict[str, str] = {}
        self.references: dict[str, str] = {}
        self.issued = IssuedAddresses()
        self._issued_during_load: list[str] | None = None
        self._ready = asyncio.Event()
        self._pending: set[asyncio.Task[None]] = set()
        self._added_during_reload: list[tuple[str, str | None, str | None]] | None = None
        # key (address or reference) -> invoice id, entered since the last take; None while
        # no watcher consumes them (so they never pile up).
        self._new_keys: dict[str, str] | None = None

    # -- reading -----------------------------------------------------------------------
    def invoice_for_address(self, address: str) -> str | None:
        return self.addresses.get(address.lower())

    def invoice_for_reference(self, reference: str) -> str | None:
        return self.references.get(reference)

    async def invoices_for_addresses(self, addresses: Iterable[str]) -> dict[str, str]:
        """lower-case address -> invoice id for those of `addresses` that were ever issued
        (one query; for the rare hits of `issued` outside the open invoices)."""
        spellings = sorted({form for a in addresses
                            for form in (a.lower(), to_checksum_address(a))})
        async with self.pool.acquire() as conn:
            rows = await q.select_by_addresses(conn, spellings)
        return {r["bsc_address"].lower(): r["id"] for r in rows}

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    async def wait_current(self) -> None:
        """Return once the set is live and every notice received so far is applied."""
        await self._ready.wait()
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    def track_new_keys(self) -> None:
        """Start remembering the keys that enter the set (for `take_new_keys`)."""
        if self._new_keys is None:
            self._new_keys = {}

    def take_new_keys(self) -> dict[str, str]:
        """Keys (lower-case addresses, references) -> invoice id that entered the set since
        the last call; empty unless `track_new_keys()` was called."""
        if not self._new_keys:
            return {}
        taken, self._new_keys = self._new_keys, {}
        return taken

    def _entered(self, keys: dict[str, str]) -> None:
        if self._new_keys is not None:
            self._new_keys.update(keys)

    # -- writing -----------------------------------------------------------------------
    def _add(self, invoice_id: str, bsc_address: str | None, reference: str | None) -> None:
        entered: dict[str, str] = {}
        if bsc_address:
            address = bsc_address.lower()
            if self.addresses.get(address) != invoice_id:
                entered[address] = invoice_id
            self.addresses[address] = invoice_id
            self.issued.add(address)
            if self._issued_during_load is not None:
                self._issued_during_load.append(address)
        if reference:
            if self.references.get(reference) != invoice_id:
                entered[reference] = invoice_id
            self.references[reference] = invoice_id
        self._entered(entered)
        if self._added_during_reload is not None:
            self._added_during_reload.append((invoice_id, bsc_address, reference))

    def add_rows(self, rows: Iterable[Any]) -> None:
        for row in rows:
            self._add(row["id"], row["bsc_address"], row["solana_reference"])

    async def reload(self) -> int:
        """Replace the set with what the database says now; returns its size."""
        self._added_during_reload = []
        try:
            async with self.pool.acquire() as conn:
                rows = await q.select_watched(conn)
            added = self._added_during_reload
        finally:
            self._added_during_reload = None
        addresses = {r["bsc_address"].lower(): r["id"] for r in rows if r["bsc_address"]}
        references = {r["solana_reference"]: r["id"] for r in rows if r["solana_reference"]}
        # Invoices announced while the query ran may be missing from its snapshot.
        for invoice_id, address, reference in added:
            if address:
                addresses[address.lower()] = invoice_id
            if reference:
                references[reference] = invoice_id
        # Keys a lost notice never announced (e.g. across a reconnection) enter here.
        self._entered({k: v for k, v in addresses.items() if self.addresses.get(k) != v})
        self._entered({k: v for k, v in references.items() if self.references.get(k) != v})
        self.addresses, self.references = addresses, references
        return len(rows)

    async def load_issued(self) -> int:
        """Rebuild the set of every issued deposit address from the database; its size."""
        self._issued_during_load = []
        try:
            async with self.pool.acquire() as conn:
                packed = await q.issued_prefixes(conn)
            added = self._issued_during_load
        finally:
            self._issued_during_load = None
        issued = IssuedAddresses(packed)
        for address in added:  # announced while the query ran: maybe not in its snapshot
            issued.add(address)
        self.issued = issued
        return len(issued)

    async def _fetch_one(self, invoice_id: str) -> None:
        async with self.pool.acquire() as conn:
            row = await q.select_watched_one(conn, invoice_id)
        if row is not None:
            self._add(row["id"], row["bsc_address"], row["solana_reference"])

    def _on_notice(self, _conn: Any, _pid: int, _channel: str, payload: object) -> None:
        try:
            notice = json.loads(str(payload))
        except ValueError:
            log.warning("watched_bad_notice", payload=str(payload)[:200])
            return
        if notice.get("type") != CREATED or not isinstance(notice.get("invoice_id"), str):
            return
        watch = notice.get("watch")
        if isinstance(watch, dict):
            self._add(notice["invoice_id"], _text(watch.get("bsc_address")),
                      _text(watch.get("solana_reference")))
            return
        task = asyncio.get_running_loop().create_task(self._fetch_one(notice["invoice_id"]))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    # -- running -----------------------------------------------------------------------
    async def _session(self) -> None:
        """One LISTEN connection's life: listen, load, keep alive, reload periodically."""
        conn = await asyncpg.connect(self.dsn)
        try:
            await conn.add_listener(CHANNEL, self._on_notice)
            size = await self.reload()
            issued = await self.load_issued()
            self._ready.set()
            log.info("watched_set_loaded", invoices=size, addresses=len(self.addresses),
                     references=len(self.references), issued_addresses=issued)
            since_reload = 0.0
            while True:
                await asyncio.sleep(_KEEPALIVE_S)
                async with asyncio.timeout(_KEEPALIVE_S * 2):
                    await conn.fetchval("SELECT 1")
                since_reload += _KEEPALIVE_S
                if since_reload >= self.reload_interval:
                    await self.reload()
                    since_reload = 0.0
        finally:
            self._ready.clear()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await conn.close()

    async def run(self) -> None:
        """Keep the set live until cancelled, reconnecting after failures."""
        while True:
            try:
                await self._session()
            except (OSError, TimeoutError, asyncpg.PostgresError,
                    asyncpg.InterfaceError) as exc:
                log.warning("watched_set_disconnected", error=str(exc),
                            retry_in_s=self.reconnect_delay)
            await asyncio.sleep(self.reconnect_delay)
