"""The BNB Chain watcher: follows the head, stores payments once, tracks finality, handles
reorgs; what it learns goes to the fact sink (gateway.chains.facts) as facts.

One step:
1. wait until the watched set is live and current (gateway.chains.watched);
2. read the cursor; scan cursor+1 .. min(head, cursor+span) (gateway.chains.bsc.scan);
   - the first block's parentHash is not the cursor's hash: a reorg. Walk back through the
     stored recent hashes to the highest block the node still has (the fork point), mark
     transfers above it removed, the cursor moved there); the next step re-scans from the
     fork point;
   - else emit the transfers, the followed blocks and the new cursor as one batch (the sink
     refuses it if the cursor moved meanwhile);
3. read finality (`finalized` tag, or head - BSC_CONFIRMATIONS when the node lacks the tag or
   BSC_FINALITY=depth) and emit it: transfers at or below it are final, old block hashes go.
Payments that land before the watcher knows their invoice (the `invoice.created` notice
arrives after the block was scanned) are not lost: every transfer of the last `recent`
scanned blocks is kept in memory (gateway.chains.recent), and before each step the addresses
that entered the watched set since the last one are looked up there and recorded. On start
that ring is refilled from the `recent` blocks up to a stored cursor and checked against the
whole set, for a predecessor that stopped between scanning a payment and hearing of its
invoice (a first start, with no cursor yet, has nothing to look back at).
Catching up, the next range is read ahead: once a range is matched, the read of the one after
it (blocks, receipts, logs, traces, parsed and checked) starts while this one is committed and
finality is read, so the node's work and ours overlap with the database's. Only the read runs
ahead, and only into the step right after: that step uses it when its cursor is the block the
read was chained to, no reorg was handled since the read started, and the node still has the
read's last block (so the whole range, by its hashes); anything else throws it away and reads
again. It is matched after the late-notice check and committed like any other range: in the
cursor's transaction the store checks that its first block's parent is the cursor block, so a
range read before a reorg is never stored after it on a block that is not its parent.
RPC faults raise out of a step; `run` backs off and repeats it from the stored cursor, so a
fault only delays detection and nothing is skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

import asyncpg

from gateway.chains.bsc.scan import CHAIN, BscScanner, Scan, Seen, Span
from gateway.chains.errors import NodeError, RangeRefused, ReorgTooDeep, StaleCursor
from gateway.chains.facts import BlockLink, Cursor, Facts, FactSink
from gateway.chains.health import Health
from gateway.chains.models import BlockRef, DetectedTransfer
from gateway.chains.recent import RecentTransfers
from gateway.chains.watched import WatchedSet
from gateway.errors import RpcError, RpcTimeout
from gateway.log import get_logger

log = get_logger(__name__)
_REORG_WINDOW = 32  # blocks compared per round trip while walking back to the fork point
TRANSIENT = (RpcError, RpcTimeout, StaleCursor, OSError, asyncpg.PostgresError,
             asyncpg.InterfaceError)


@dataclass(frozen=True)
class BscConfig:
    rpc_url: str
    tokens: Mapping[str, str]  # BEP-20 contract -> asset id (USDT_BSC, USDC_BSC)
    poll_interval: float = 0.5  # float-ok
    finality: str = "tag"  # "tag" (fall back to depth if unknown) or "depth"
    confirmations: int = 15
    start_block: int | None = None  # None: start at the head
    span: int = 50
    history: int = 256
    backoff: float = 0.2  # float-ok
    backoff_cap: float = 10.0  # float-ok
    recent: int = 128  # blocks whose transfers (watched or not) are kept for late matches
    stall_warning: float = 30.0  # float-ok; seconds waiting for the watched set per warning
    # Reading the next range while the current one commits. Off: it came back this session
    # with its safety checks, but a 500-invoice chaos run after it found a custody difference
    # of one BEP-20 transfer whose cause is not found, and its speed gain was not measurable.
    read_ahead: bool = False


@dataclass(frozen=True)
class ReadAhead:
    """The read of the range after `parent`, started before `parent` was committed, when the
    watcher had handled `reorgs` reorgs."""

    parent: BlockRef
    reorgs: int
    task: asyncio.Task[Scan]

    def discard(self) -> None:
        if self.task.done():
            if not self.task.cancelled():
                self.task.exception()  # read here, so asyncio does not log it as lost
        else:
            self.task.cancel()


@dataclass
class WatcherStats:
    blocks: int = 0
    logs_seen: int = 0
    transfers: int = 0
    late: int = 0  # invoices credited from the recent blocks after their address was added
    reorgs: int = 0
    errors: int = 0
    finalized: int = -1
    last_error: str | None = field(default=None, repr=False)


class BscWatcher:
    def __init__(self, config: BscConfig, sink: FactSink, scanner: BscScanner) -> None:
        self.config = config
        self.sink = sink
        self.scanner = scanner
        self.span = Span(config.span)
        self.finality_mode = config.finality
        self.stats = WatcherStats()
        self.health = Health()  # read by the status heartbeat (gateway.status)
        self.recent: RecentTransfers[Seen] = RecentTransfers(config.recent)
        self._warmed = False
        self._pending: dict[str, str] = {}  # keys entered, not yet checked against the ring
        self._ahead: ReadAhead | None = None
        self._behind = False  # the node's head is below our cursor on our chain (said once)
        scanner.watched.track_new_keys()

    @property
    def watched(self) -> WatchedSet:
        return self.scanner.watched

    # -- cursor --------------------------------------------------------------------------
    async def _start_cursor(self, head: int) -> Cursor:
        number = head if self.config.start_block is None else max(0, self.config.start_block - 1)
        ref = await self.scanner.block_ref(number)
        if ref is None:
            raise RpcError(f"the node has no block {number} to start from")
        await self.sink.emit(Facts(CHAIN, cursor=CHAIN, expected=None,
                                   followed=[BlockLink(ref.number, ref.hash, "")]))
        log.info("bsc_cursor_started", chain=CHAIN, block=ref.number)
        self._warmed = True  # nothing was scanned before this start: nothing to look back at
        return Cursor(CHAIN, ref, -1, None)

    async def _cursor(self, head: int) -> Cursor:
        cursor = await self.sink.cursor(CHAIN)
        return cursor if cursor is not None else await self._start_cursor(head)

    # -- scanning ------------------------------------------------------------------------
    async def _scan(self, cursor: Cursor, head: int) -> Scan:
        while True:
            hi = min(head, cursor.block.number + self.span.current)
            try:
                scan = await self.scanner.read(cursor.block.number + 1, hi, cursor.block)
            except RangeRefused as exc:
                self.span.refused()
                log.info("bsc_log_range_halved", chain=CHAIN, span=self.span.current,
                         error=str(exc))
                continue
            self.span.succeeded()
            return scan

    async def _read(self, cursor: Cursor, head: int, ahead: ReadAhead | None) -> Scan:
        """The range after the cursor, read (not matched): the read started ahead when it
        still continues this cursor on the node's chain, else a new one."""
        if ahead is not None:
            if ahead.parent == cursor.block and ahead.reorgs == self.stats.reorgs:
                scan = await ahead.task
                if await self._still_served(scan, head):
                    return scan
                log.info("bsc_read_ahead_stale", chain=CHAIN, block=cursor.block.number + 1)
            else:
                ahead.discard()
        return await self._scan(cursor, head)

    async def _still_served(self, scan: Scan, head: int) -> bool:
        """The node still serves the read's last block with its hash (hence, by the parent
        hashes, every block of it): no reorg overtook the read since it was made."""
        if scan.fork or not scan.blocks:
            return True  # nothing to store from it: the step handles the fork or the gap
        last = scan.blocks[-1]
        if last.number > head:
            return False  # the node went back below what was read
        ref = await self.scanner.block_ref(last.number)
        return ref is not None and ref.hash == last.hash

    def _read_ahead(self, parent: BlockRef, head: int) -> None:
        """Start reading the range after `parent` (not yet committed) in the background."""
        after = Cursor(CHAIN, parent, -1, None)
        self._ahead = ReadAhead(parent, self.stats.reorgs,
                                asyncio.ensure_future(self._scan(after, head)))

    def _stop_reading_ahead(self) -> None:
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead.discard()

    async def _commit(self, cursor: Cursor, scan: Scan) -> None:
        links = [BlockLink(b.number, b.hash, b.parent_hash) for b in scan.blocks]
        touched = await self.sink.emit(Facts(CHAIN, cursor=CHAIN, expected=cursor.block,
                                             seen=scan.transfers, followed=links))
        for number, items in scan.seen_by_block():
            self.recent.remember(number, items)
        self.stats.blocks += len(scan.blocks)
        self.stats.logs_seen += scan.logs_seen
        self.stats.transfers += len(scan.transfers)
        if scan.transfers:
            log.info("bsc_transfers", chain=CHAIN, block=links[-1].number,
                     transfers=len(scan.transfers), invoices=len(touched))

    # -- payments seen before their address was watched ----------------------------------
    async def _warm(self, cursor: Cursor) -> bool:
        """Refill the ring with the `recent` blocks up to the cursor and queue every watched
        key for a look; False (try again next step) when they no longer chain to the cursor."""
        number, parent = max(0, cursor.block.number - self.config.recent + 1), None
        while number <= cursor.block.number:
            hi = min(cursor.block.number, number + self.span.current - 1)
            try:
                scan = await self.scanner.scan(number, hi, None)
            except RangeRefused:
                self.span.refused()
                continue
            if not scan.blocks or (parent is not None and scan.blocks[0].parent_hash != parent):
                return False
            for block, items in scan.seen_by_block():
                self.recent.remember(block, items)
            number, parent = scan.blocks[-1].number + 1, scan.blocks[-1].hash
        if parent != cursor.block.hash:
            self.recent.clear()
            return False
        self._pending.update(self.watched.addresses)
        return True

    async def _late(self, cursor: Cursor) -> None:
        """Record payments in the ring to addresses that entered the watched set since."""
        self._pending.update(self.watched.take_new_keys())
        if not self._pending:
            return
        transfers = await self._on_our_chain(
            await self.scanner.payments(self.recent.find(self._pending), self._pending))
        if transfers:
            touched = await self.sink.emit(Facts(CHAIN, cursor=CHAIN, expected=cursor.block,
                                                 seen=transfers))
            if touched:
                self.stats.late += len(touched)
                log.info("bsc_late_match", chain=CHAIN, invoices=sorted(touched),
                         blocks=sorted({t.block_number for t in transfers}))
        self._pending.clear()

    async def _on_our_chain(self, transfers: list[DetectedTransfer]) -> list[DetectedTransfer]:
        """The transfers whose block is the one stored at its height: the ring must never
        bring back a transfer of a block a reorg replaced (it would be live beside the same
        transaction mined again, below any later fork point, and become final)."""
        if not transfers:
            return transfers
        numbers = [t.block_number for t in transfers]
        stored = await self.sink.block_hashes(CHAIN, min(numbers), max(numbers))
        kept = [t for t in transfers if stored.get(t.block_number, t.block_hash) == t.block_hash]
        if len(kept) < len(transfers):
            log.warning("bsc_late_stale_block", chain=CHAIN, dropped=len(transfers) - len(kept),
                        blocks=sorted({t.block_number for t in transfers} -
                                      {t.block_number for t in kept}))
            self.recent.clear()  # it held another fork: refill it from the node
            self._warmed = False
        return kept

    # -- reorgs --------------------------------------------------------------------------
    async def _fork_point(self, cursor: Cursor) -> BlockRef:
        lowest = await self.sink.lowest_block(CHAIN)
        lowest = cursor.block.number if lowest is None else lowest
        hi = cursor.block.number
        while hi >= lowest:
            lo = max(lowest, hi - _REORG_WINDOW + 1)
            stored = await self.sink.block_hashes(CHAIN, lo, hi)
            canonical = await self.scanner.canonical_hashes(lo, hi)
            for number in range(hi, lo - 1, -1):
                if number in stored and stored[number] == canonical.get(number):
                    return BlockRef(number, stored[number])
            hi = lo - 1
        raise ReorgTooDeep(f"{CHAIN}: no common block with the node at or above {lowest}")

    async def _reorg(self, cursor: Cursor) -> None:
        fork = await self._fork_point(cursor)
        if fork.number < cursor.finalized_number:
            raise ReorgTooDeep(f"{CHAIN}: fork at {fork.number} is below finalized block "
                               f"{cursor.finalized_number}")
        touched = await self.sink.emit(Facts(CHAIN, cursor=CHAIN, expected=cursor.block,
                                             rolled_back_to=fork))
        self.recent.forget_above(fork.number)
        self.stats.reorgs += 1
        log.warning("bsc_reorg", chain=CHAIN, block=cursor.block.number, fork=fork.number,
                    depth=cursor.block.number - fork.number, invoices=sorted(touched))

    # -- finality ------------------------------------------------------------------------
    async def _finalized(self, head: int) -> BlockRef | int:
        """The finalized block (tag mode) or just its number (depth mode)."""
        if self.finality_mode == "tag":
            try:
                ref = await self.scanner.block_ref("finalized")
            except NodeError as exc:
                log.warning("bsc_finalized_tag_unsupported", chain=CHAIN, error=str(exc),
                            confirmations=self.config.confirmations)
                self.finality_mode = "depth"
            else:
                if ref is not None:
                    return ref
        return head - self.config.confirmations

    async def _canonical_at(self, cursor: Cursor, number: int, known: BlockRef | int) -> bool:
        """Our stored block `number` is the node's (else a reorg is pending)."""
        if isinstance(known, BlockRef) and known.number == number:
            node_hash: str | None = known.hash
        else:
            ref = await self.scanner.block_ref(number)
            node_hash = ref.hash if ref else None
        stored = (await self.sink.block_hashes(CHAIN, number, number)).get(number)
        return stored is None or stored == node_hash

    async def _finalize(self, cursor: Cursor, head: int) -> None:
        finalized = await self._finalized(head)
        number = finalized.number if isinstance(finalized, BlockRef) else finalized
        target = min(number, cursor.block.number)
        if target <= cursor.finalized_number or target < 0:
            return
        if not await self._canonical_at(cursor, target, finalized):
            await self._reorg(cursor)
            return
        touched = await self.sink.emit(Facts(CHAIN, cursor=CHAIN, expected=cursor.block,
                                             final_through=target,
                                             forget_below=target - self.config.history))
        self.stats.finalized = target
        if touched:
            log.info("bsc_finalized", chain=CHAIN, block=target, invoices=sorted(touched))

    # -- the loop ------------------------------------------------------------------------
    async def step(self) -> bool:
        """One round; True when more blocks are already waiting."""
        ahead, self._ahead = self._ahead, None  # a read ahead lives one step at most
        try:
            return await self._step(ahead)
        finally:
            if ahead is not None:
                ahead.discard()  # unused (or used: then done, and this is a no-op)

    async def _wait_watched(self) -> None:
        """Wait until the watched set is live and current, saying so while it is not (its
        LISTEN connection or first load failing would otherwise stall the chain unheard)."""
        current = asyncio.ensure_future(self.watched.wait_current())
        try:
            waited = 0.0  # float-ok
            while not (await asyncio.wait({current}, timeout=self.config.stall_warning))[0]:
                waited += self.config.stall_warning
                log.warning("bsc_watched_set_waiting", chain=CHAIN, waited_s=round(waited, 1))
            current.result()
        finally:
            current.cancel()

    def _node_behind(self, cursor: Cursor, head: int) -> None:
        """Note whether the node's head is below our cursor while our blocks are still its
        own (a replica restarted from an older copy, a revert): no progress until it passes
        the cursor again; said once per episode, not once per poll."""
        behind = head < cursor.block.number
        if behind and not self._behind:
            log.warning("bsc_node_behind", chain=CHAIN, block=cursor.block.number, head=head)
        elif self._behind and not behind:
            log.info("bsc_node_caught_up", chain=CHAIN, block=cursor.block.number, head=head)
        self._behind = behind

    async def _step(self, ahead: ReadAhead | None) -> bool:
        await self._wait_watched()
        head = await self.scanner.head()
        self.health.observed(head)
        cursor = await self._cursor(head)
        if head < cursor.block.number and not await self._canonical_at(cursor, head, head):
            await self._reorg(cursor)  # the chain went back and forked: do not wait silently
            return True
        self._node_behind(cursor, head)
        if not self._warmed:
            self._warmed = await self._warm(cursor)
        await self._late(cursor)
        more = False
        if head > cursor.block.number:
            scan = await self._read(cursor, head, ahead)
            if scan.fork:
                await self._reorg(cursor)
                return True
            if scan.blocks:
                scan = await self.scanner.match(scan)  # after _late: no new key slips by
                last = BlockRef(scan.blocks[-1].number, scan.blocks[-1].hash)
                more = last.number < head
                if more and self.config.read_ahead:
                    self._read_ahead(last, head)
                await self._commit(cursor, scan)
                cursor = Cursor(CHAIN, last, cursor.finalized_number, None)
            else:
                # The node names a head above a block it does not serve (a lagging replica):
                # no progress this round, and the chain turns lagging if it lasts. Said
                # aloud, because a chaos run once stalled here without a line.
                log.warning("bsc_block_missing", chain=CHAIN, block=cursor.block.number + 1,
                            head=head)
        await self._finalize(cursor, head)
        self.health.progressed(cursor.block.number, self.stats.finalized)
        return more

    async def run(self) -> None:
        """Step until cancelled; transient faults back off and retry from the cursor."""
        try:
            await self._run()
        finally:
            self._stop_reading_ahead()

    async def _run(self) -> None:
        delay = self.config.backoff
        while True:
            try:
                more = await self.step()
            except TRANSIENT as exc:
                self.stats.errors += 1
                self.stats.last_error = str(exc)
                self.health.failed(str(exc))
                log.warning("bsc_step_failed", chain=CHAIN, error=str(exc),
                            retry_in_s=round(delay, 3))
                await asyncio.sleep(delay)
                delay = min(self.config.backoff_cap, delay * 2)
                continue
            delay = self.config.backoff
            if not more:
                await asyncio.sleep(self.config.poll_interval)
