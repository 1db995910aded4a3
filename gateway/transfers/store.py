"""The transfer store behind the fact sink: transfers stored once, the cursors, recent block
hashes, finality and reorg removal. No SQL here (see queries.py).

Each function runs in the caller's transaction and returns the ids of the invoices whose
transfers changed, which the sink (sink.py) hands to the lifecycle in the same transaction:
the chain facts, the cursor and the invoice transitions commit together or not at all, so a
crash anywhere resumes from PostgreSQL exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.chains.errors import MalformedFacts, ReorgTooDeep, StaleCursor
from gateway.chains.facts import BlockLink, Cursor, Facts
from gateway.chains.models import BlockRef, DetectedTransfer
from gateway.transfers import queries as q
from gateway.transfers.models import TransferStatus, move
from settlement.db import Conn


def _columns(transfers: Sequence[DetectedTransfer]) -> list[list[object]]:
    unique = {(t.tx_hash, t.log_index): t for t in transfers}.values()
    return [
        [t.tx_hash for t in unique], [t.log_index for t in unique],
        [t.block_number for t in unique], [t.block_hash for t in unique],
        [t.block_time for t in unique], [t.asset for t in unique], [t.token for t in unique],
        [t.from_address for t in unique], [t.to_address for t in unique],
        [str(t.amount) for t in unique], [t.invoice_id for t in unique],
    ]


async def record_transfers(conn: Conn, chain: str,
                           transfers: Sequence[DetectedTransfer]) -> set[str]:
    """Store transfers once (unique chain, tx, log index); revive ones a reorg removed."""
    if not transfers:
        return set()
    return await q.upsert_transfers(conn, chain, _columns(transfers))


async def load_cursor(conn: Conn, chain: str) -> Cursor | None:
    row = await q.select_cursor(conn, chain)
    return _cursor(row) if row is not None else None


def _cursor(row: q.Row) -> Cursor:
    return Cursor(row["chain"], BlockRef(row["block_number"], row["block_hash"]),
                  row["finalized_number"], row["position"])


async def claim_cursor(conn: Conn, chain: str, expected: BlockRef | None) -> None:
    """Lock the cursor row for this transaction and check it is still at `expected`.

    Two watchers of one chain should never run (leader lock), but if one ever lingers, its
    writes fail here with StaleCursor instead of interleaving with the leader's.
    """
    row = await q.lock_cursor(conn, chain)
    found = BlockRef(row["block_number"], row["block_hash"]) if row else None
    if found != expected:
        raise StaleCursor(f"{chain}: cursor is at {found}, expected {expected}")


def check_chained(chain: str, cursor: BlockRef, links: Sequence[BlockLink]) -> None:
    """The followed blocks continue the locked cursor, each the parent of the next.

    Checked under the cursor's lock, so a range read earlier (a read-ahead, a read that a reorg
    overtook) is never stored on top of a block that is not its parent: it fails with
    StaleCursor and the watcher reads again from the stored cursor.
    """
    parent = cursor
    for link in links:
        if link.number != parent.number + 1 or link.parent_hash != parent.hash:
            raise StaleCursor(f"{chain}: block {link.number} (parent {link.parent_hash}) does "
                              f"not follow block {parent.number} ({parent.hash})")
        parent = BlockRef(link.number, link.hash)


async def advance(conn: Conn, chain: str, links: Sequence[BlockLink], *,
                  position: str | None = None) -> None:
    """Remember the followed blocks and move the cursor to the last one."""
    if not links:
        return
    await q.upsert_blocks(conn, chain, [b.number for b in links], [b.hash for b in links],
                          [b.parent_hash for b in links])
    last = links[-1]
    await q.upsert_cursor(conn, chain, last.number, last.hash, position)


async def set_cursor(conn: Conn, chain: str, block: BlockRef, *,
                     position: str | None = None) -> None:
    """Start (or move) the cursor without block history (a watcher's first start)."""
    await q.upsert_cursor(conn, chain, block.number, block.hash, position)


async def forget_cursor(conn: Conn, chain: str, expected: BlockRef) -> None:
    """Drop a cursor whose position the chain no longer has (an operator's Solana resync):
    its watcher starts that account over as on a first start."""
    if not await q.delete_cursor(conn, chain, expected.hash):
        raise StaleCursor(f"{chain}: cursor is no longer at {expected}")


async def recent_hashes(conn: Conn, cursor: str, lo: int, hi: int) -> dict[int, str]:
    """Stored hashes of the blocks numbered lo..hi that `cursor` followed."""
    return await q.select_block_hashes(conn, cursor, lo, hi)


async def lowest_kept(conn: Conn, cursor: str) -> int | None:
    return await q.select_lowest_block(conn, cursor)


async def rollback_to(conn: Conn, chain: str, cursor: str, fork: BlockRef, *,
                      resync: bool = False) -> set[str]:
    """A reorg: transfers above the fork point are removed and the cursor moves back to it.

    Raises ReorgTooDeep when a finalized transfer sits above the fork: finality was broken,
    and nothing is reversed by guesswork. An operator's resync goes back anyway: finalized
    transfers stay finalized (gateway.resync reports the ones the chain no longer has) and
    the cursor's finalized number comes down to the fork point.
    """
    move(TransferStatus.DETECTED, TransferStatus.REMOVED)
    if resync:
        await q.lower_finalized_number(conn, cursor, fork.number)
    elif await q.count_final_above(conn, chain, fork.number):
        raise ReorgTooDeep(f"{chain}: a reorg to block {fork.number} would undo finalized "
                           "transfers")
    touched = await q.remove_above(conn, chain, fork.number)
    await q.delete_blocks_above(conn, cursor, fork.number)
    await q.upsert_cursor(conn, cursor, fork.number, fork.hash, None)
    return touched


async def remove_transactions(conn: Conn, chain: str, tx_hashes: Sequence[str]) -> set[str]:
    """Transactions that left the chain (Solana: dropped / failed after `confirmed`)."""
    move(TransferStatus.DETECTED, TransferStatus.REMOVED)
    return await q.remove_txs(conn, chain, tx_hashes) if tx_hashes else set()


async def finalize_through(conn: Conn, chain: str, cursor: str, number: int) -> set[str]:
    """Every detected transfer at or below block `number` is final (and the cursor says so)."""
    move(TransferStatus.DETECTED, TransferStatus.FINALIZED)
    touched = await q.finalize_through(conn, chain, number)
    await q.set_finalized_number(conn, cursor, number)
    return touched


async def finalize_transactions(conn: Conn, chain: str, tx_hashes: Sequence[str]) -> set[str]:
    """These transactions reached finality (Solana: `finalized` commitment)."""
    move(TransferStatus.DETECTED, TransferStatus.FINALIZED)
    return await q.finalize_txs(conn, chain, tx_hashes) if tx_hashes else set()


async def prune_history(conn: Conn, cursor: str, below: int) -> None:
    """Forget the cursor's block hashes below `below` (final; no reorg reaches them)."""
    await q.prune_blocks_below(conn, cursor, below)


async def store_facts(conn: Conn, facts: Facts) -> set[str]:
    """Store one batch of facts in the order `Facts` documents; the invoices touched."""
    chain, cursor = facts.chain, facts.cursor
    if cursor is None:
        # A cursorless batch (a finality sweep) only moves transfers it names.
        if facts.rolled_back_to or facts.final_through is not None or facts.followed \
                or facts.moved_to or facts.forget_below is not None:
            raise MalformedFacts(f"{chain}: block facts need the cursor they belong to")
        touched = await record_transfers(conn, chain, facts.seen)
        touched |= await remove_transactions(conn, chain, facts.removed)
        return touched | await finalize_transactions(conn, chain, facts.final)
    await claim_cursor(conn, cursor, facts.expected)
    if facts.expected is not None and facts.followed:
        check_chained(cursor, facts.expected, facts.followed)
    touched = set()
    if facts.rolled_back_to is not None:
        touched |= await rollback_to(conn, chain, cursor, facts.rolled_back_to,
                                     resync=facts.resync)
    touched |= await record_transfers(conn, chain, facts.seen)
    touched |= await remove_transactions(conn, chain, facts.removed)
    if facts.final_through is not None:
        touched |= await finalize_through(conn, chain, cursor, facts.final_through)
    touched |= await finalize_transactions(conn, chain, facts.final)
    await advance(conn, cursor, facts.followed)
    if facts.moved_to is not None:
        await set_cursor(conn, cursor, facts.moved_to, position=facts.moved_to.hash)
    if facts.forget_below is not None:
        await prune_history(conn, cursor, facts.forget_below)
    return touched



async def invoice_transfers(conn: Conn, invoice_id: str) -> list[q.Row]:
    """Every stored transfer of the invoice, in chain order."""
    return await q.select_invoice_transfers(conn, invoice_id)


async def classify(conn: Conn, ids: Sequence[int], dispositions: Sequence[str],
                   values: Sequence[int | None]) -> None:
    """Record how the lifecycle counted fresh transfers (their disposition and value)."""
    await q.classify_transfers(conn, ids, dispositions, values)


async def unapply_open_credits(conn: Conn, invoice_id: str) -> None:
    """At settlement: credited transfers not final yet leave the sale (unapplied)."""
    await q.unapply_open_credits(conn, invoice_id)



async def reassign(conn: Conn, transfer_id: int, invoice_id: str) -> None:
    """An operator hands an unmatched payment to an invoice, for the lifecycle to classify."""
    await q.reassign_transfer(conn, transfer_id, invoice_id)


async def open_transactions(conn: Conn, chain: str, limit: int) -> list[tuple[str, int]]:
    """(tx hash, block) with transfers still `detected`, oldest first."""
    return await q.select_open_transactions(conn, chain, limit)


async def invoices_by_reference(conn: Conn, keys: Sequence[str]) -> dict[str, str]:
    """reference -> invoice id for the keys that are some invoice's Solana reference."""
    return await q.select_invoices_by_reference(conn, keys) if keys else {}
