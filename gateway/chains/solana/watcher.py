"""The Solana watcher: follows the treasury and its token accounts, reports payments.

Each round (`tick`), for every followed account (the treasury wallet for SOL, its associated
token account per configured mint):

1. detection at `confirmed`: the account's new signatures since its confirmed cursor
   (getSignaturesForAddress, paged), their transactions (getTransaction jsonParsed, v0,
   batched), the payments in them (gateway.chains.solana.match: recipient, mint, post - pre,
   meta.err), matched to invoices by reference key through the in-memory watched set. The
   transfers and the moved cursor are emitted to the fact sink as one batch (stored with
   the lifecycle in one transaction: an invoice paid in full becomes `processing`);
2. settlement at `finalized`: the account's new finalized signatures since its finalized
   cursor, as far as detection has processed them; their transfers are emitted as final
   with the moved cursor (the lifecycle settles and books the invoices);

then a sweep over transfers still `detected` in slots that are already final: finalized ones
(missed by 2, e.g. a slot shared with the confirmed cursor) are finalized; ones the cluster no
longer knows long after their slot (a dropped fork) are removed, and the lifecycle reverts.

Finality is checked before a round (`_check_finality`): on the watcher's first round,
whenever the node's finalized slot is below the highest one it reported before, and at least
every `finality_check_interval` seconds (SOLANA_FINALITY_CHECK_INTERVAL) in any case, the
signatures the finalized cursors stand on (the newest transaction of each followed account
that we treated as final), and the newest transaction the sweep finalized in this process
while no cursor has passed it yet (the sweep settles some one round before `_finalize` moves a
cursor over them; kept in memory only: a restart inside that one round and a fork inside it
too would go unnoticed), are looked up. One the node no longer knows means a fork below
finality: `ReorgTooDeep` halts the chain (gateway.status) until `chains resync`, because
booked money is never undone by guesswork. The periodic check is what catches a fork the
node's finalized slot has already climbed past again by the time we ask (a node, or this
process, stalled for a while after the fork). If the node's finalized slot is below a
cursor's, it is just behind (a lagging replica, which may not have our transactions yet):
`NodeBehind`, retried like any fault, the chain turns `lagging` if it lasts, and the
signatures are looked up once it has caught up.

Cost grows with the treasury's traffic, whatever the number of open invoices: an idle round
is one getSignaturesForAddress per followed account (the finalized pass and the sweep ask
nothing while nothing awaits finality); new traffic adds one getTransaction per signature
(batched) and one finalized history page per account until it is final.
RPC faults (HTTP 5xx, timeouts, garbage) raise from the round, which `run` retries with
capped backoff: they delay detection and never lose or double a payment, because every write
is idempotent and the cursors only move in the transaction that stored the work.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import asyncpg

from gateway.chains.errors import InvariantBroken, NodeBehind, ReorgTooDeep
from gateway.chains.facts import Facts, FactSink
from gateway.chains.health import Health
from gateway.chains.models import BlockRef, DetectedTransfer
from gateway.chains.solana import follow
from gateway.chains.solana.match import CHAIN, Treasury, detect
from gateway.chains.solana.rpc import CONFIRMED, FINALIZED, SignatureInfo, SolanaRpc
from gateway.chains.solana.tx import SolanaTx, parse_transaction
from gateway.errors import ChainError
from gateway.log import get_logger

log = get_logger(__name__)

# A signature unknown this many slots after its slot became final can no longer land: its
# blockhash expired (150 blocks) long before. Removing a transfer earlier could race a
# re-inclusion.
DROP_AFTER_SLOTS = 300
_SWEEP_LIMIT = 1_024


class References(Protocol):
    """The watched set as the Solana watcher reads it (gateway.chains.watched.WatchedSet)."""

    def invoice_for_reference(self, reference: str) -> str | None: ...

    async def wait_current(self) -> None: ...


@dataclass(frozen=True)
class SolanaWatchOptions:
    poll_interval: float = 0.5      # float-ok; seconds between rounds when caught up
    tx_batch: int = 50              # getTransaction requests per JSON-RPC batch
    first_start: int = 1_000        # signatures per account read back on the very first start
    backoff: float = 0.2            # float-ok; seconds after a failed round, doubling ...
    backoff_cap: float = 10.0       # float-ok; ... up to this
    finality_check_interval: float = 10.0  # float-ok; seconds between finality checks


class SolanaWatcher:
    def __init__(self, sink: FactSink, rpc: SolanaRpc, treasury: Treasury,
                 references: References, options: SolanaWatchOptions | None = None) -> None:
        self.sink = sink
        self.rpc = rpc
        self.treasury = treasury
        self.references = references
        self.options = options or SolanaWatchOptions()
        self.log = log.bind(chain=CHAIN, treasury=treasury.owner)
        self.health = Health()  # read by the status heartbeat (gateway.status)
        self._found = 0  # transfers detected in this round
        self._final_high: int | None = None  # the highest finalized slot the node reported
        self._finality_checked_at = 0.0  # float-ok; time.monotonic() of the last check
        # The newest transaction the sweep finalized: it can settle a payment one round
        # before `_finalize` moves a cursor over it, so the finality check looks at it too.
        self._swept_final: BlockRef | None = None

    # -- running -------------------------------------------------------------------------
    async def run(self) -> None:
        """Follow the chain until cancelled; a failed round is retried with backoff."""
        failures = 0
        while True:
            try:
                busy = await self.tick()
                failures = 0
            except InvariantBroken:
                raise  # not a fault to retry: the chain halts (gateway.status)
            except (ChainError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                failures += 1
                self.health.failed(str(exc))
                delay = min(self.options.backoff_cap, self.options.backoff * 2 ** (failures - 1))
                self.log.warning("solana_round_failed", error=str(exc),
                                 error_type=type(exc).__name__, failures=failures,
                                 retry_in_s=round(delay, 3))
                await asyncio.sleep(delay)
                continue
            if not busy:
                await asyncio.sleep(self.options.poll_interval)

    async def tick(self) -> int:
        """One round over every followed account; the number of new signatures processed."""
        await self.references.wait_current()
        head = await self.rpc.get_slot(CONFIRMED)
        self.health.observed(head)
        final_slot = await self.rpc.get_slot(FINALIZED)
        await self._check_finality(final_slot)
        fetched: dict[str, SolanaTx] = {}
        processed = 0
        for account in self.treasury.accounts:
            processed += await self._detect(account.address, fetched)
        for account in self.treasury.accounts:
            await self._finalize(account.address)
        await self.sweep()
        self.health.transfers += self._found
        self._found = 0
        self.health.progressed(head, final_slot)
        return processed

    # -- finality ------------------------------------------------------------------------
    async def _check_finality(self, final_slot: int) -> None:
        """Halt on a finalized transaction of ours the node no longer has (see the module
        docstring); one getSignatureStatuses when due or when the finalized slot went
        backwards, nothing otherwise."""
        due = time.monotonic() - self._finality_checked_at >= self.options.finality_check_interval
        if self._final_high is not None and final_slot >= self._final_high and not due:
            self._final_high = final_slot
            return
        self._finality_checked_at = time.monotonic()
        cursors = await self._final_positions()
        if cursors:
            # A node behind our cursors may simply not have our transactions yet: retried,
            # and asked again once it has caught up (its slot stays below _final_high).
            newest = max(c.number for c in cursors)
            if final_slot < newest:
                raise NodeBehind(f"{CHAIN}: the node's finalized slot {final_slot} is below "
                                 f"slot {newest}, already final here")
            statuses = await self.rpc.get_signature_statuses([c.hash for c in cursors])
            gone = [c for c, status in zip(cursors, statuses, strict=True) if status is None]
            if gone:
                raise ReorgTooDeep(
                    f"{CHAIN}: finalized transaction {gone[0].hash} (slot {gone[0].number}) "
                    f"is gone from the node, whose finalized slot is now {final_slot}: a fork "
                    "below finality")
        high = self._final_high
        self._final_high = final_slot if high is None else max(high, final_slot)

    async def _final_positions(self) -> list[BlockRef]:
        """What we treated as final: the finalized cursors' signatures, and the newest
        transaction the sweep finalized while no cursor stands at or above its slot yet."""
        names = [follow.cursor_name(a.address, FINALIZED) for a in self.treasury.accounts]
        positions = [c for c in [await self._cursor(n) for n in names] if c is not None]
        swept = self._swept_final
        if swept is not None and all(p.number < swept.number for p in positions):
            positions.append(swept)
        return positions

    # -- detection (confirmed) -----------------------------------------------------------
    async def _cursor(self, name: str) -> BlockRef | None:
        cursor = await self.sink.cursor(name)
        return cursor.block if cursor is not None else None

    async def _detect(self, address: str, fetched: dict[str, SolanaTx]) -> int:
        name = follow.cursor_name(address, CONFIRMED)
        expected = await self._cursor(name)
        infos = await follow.collect(self.rpc, address, CONFIRMED, expected,
                                     first_start=self.options.first_start)
        done = 0
        for start in range(0, len(infos), self.options.tx_batch):
            chunk = infos[start:start + self.options.tx_batch]
            txs = await self._transactions(chunk, fetched)
            ready = chunk[:len(txs)]
            if not ready:
                break
            await self._commit_detected(name, expected, ready, txs)
            expected = follow.position(ready[-1])
            done += len(ready)
            if len(ready) < len(chunk):
                break  # the node listed a transaction it cannot serve yet: next round
        return done

    async def _transactions(self, chunk: Sequence[SignatureInfo],
                            fetched: dict[str, SolanaTx]) -> list[SolanaTx | None]:
        """The parsed transactions of `chunk` in order (None: failed, nothing to look at),
        cut short at the first one the node does not return yet."""
        wanted = [i.signature for i in chunk if i.err is None and i.signature not in fetched]
        raw = await self.rpc.get_transactions(wanted, commitment=CONFIRMED,
                                              batch_size=self.options.tx_batch)
        for signature, result in zip(wanted, raw, strict=True):
            if result is not None:
                fetched[signature] = parse_transaction(result)
        txs: list[SolanaTx | None] = []
        for info in chunk:
            if info.err is not None:
                txs.append(None)
            elif info.signature in fetched:
                txs.append(fetched[info.signature])
            else:
                break
        return txs

    async def _commit_detected(self, name: str, expected: BlockRef | None,
                               ready: Sequence[SignatureInfo],
                               txs: Sequence[SolanaTx | None]) -> None:
        found = [(tx, detect(tx, self.treasury, self.references.invoice_for_reference))
                 for tx in txs if tx is not None]
        transfers = [t for tx, ts in found for t in await self._matched(tx, ts)]
        await self.sink.emit(Facts(CHAIN, cursor=name, expected=expected, seen=transfers,
                                   moved_to=follow.position(ready[-1])))
        self._found += len(transfers)
        for transfer in transfers:
            self.log.info("solana_payment_detected", signature=transfer.tx_hash,
                          asset=transfer.asset, amount=transfer.amount, slot=transfer.block_number,
                          invoice_id=transfer.invoice_id)

    async def _matched(self, tx: SolanaTx,
                       transfers: list[DetectedTransfer]) -> list[DetectedTransfer]:
        """Transfers whose reference the watched set did not know, looked up in PostgreSQL:
        an invoice whose notice is still in flight, or one no longer watched (the lifecycle
        then classifies the late money). Unknown references stay unmatched, never dropped."""
        if not transfers or transfers[0].invoice_id is not None:
            return transfers
        ours = {self.treasury.owner, *self.treasury.addresses}
        keys = [k for k in tx.account_keys if k not in ours]
        by_reference = await self.sink.invoices_by_reference(keys)
        invoice_id = next((by_reference[k] for k in keys if k in by_reference), None)
        if invoice_id is None:
            return transfers
        return [dataclasses.replace(t, invoice_id=invoice_id) for t in transfers]

    # -- settlement (finalized) ----------------------------------------------------------
    async def _finalize(self, address: str) -> None:
        confirmed = await self._cursor(follow.cursor_name(address, CONFIRMED))
        if confirmed is None:
            return
        name = follow.cursor_name(address, FINALIZED)
        expected = await self._cursor(name)
        if expected == confirmed:
            return  # everything detected is final already: no request while idle
        infos = await follow.collect(self.rpc, address, FINALIZED, expected,
                                     first_start=self.options.first_start)
        final = follow.covered(infos, confirmed)
        if not final:
            return
        signatures = [i.signature for i in final if i.err is None]
        touched = await self.sink.emit(Facts(CHAIN, cursor=name, expected=expected,
                                             final=signatures,
                                             moved_to=follow.position(final[-1])))
        if touched:
            self.log.info("solana_payments_final", invoices=sorted(touched),
                          slot=final[-1].slot)

    async def sweep(self) -> None:
        """Settle or remove transfers left `detected` in slots that are already final."""
        open_ = await self.sink.open_transactions(CHAIN, _SWEEP_LIMIT)
        if not open_:
            return  # the usual case: no request at all
        final_slot = await self.rpc.get_slot(FINALIZED)
        open_ = [(signature, slot) for signature, slot in open_ if slot <= final_slot]
        if not open_:
            return
        statuses = await self.rpc.get_signature_statuses([s for s, _ in open_])
        final = [s for (s, _), st in zip(open_, statuses, strict=True) if st == FINALIZED]
        gone = [s for (s, slot), st in zip(open_, statuses, strict=True)
                if st in (None, "failed") and slot + DROP_AFTER_SLOTS <= final_slot]
        if not final and not gone:
            return
        await self.sink.emit(Facts(CHAIN, removed=gone, final=final))
        slots = dict(open_)
        for signature in final:
            if self._swept_final is None or slots[signature] > self._swept_final.number:
                self._swept_final = BlockRef(slots[signature], signature)
        self.log.info("solana_sweep", finalized=final, removed=gone)
