"""`python -m gateway chains resync --chain bsc|solana [--from N]`: the operator's way back
from a halted chain (gateway.status).

BNB Chain: the fork point is `--from N` minus one, or else the highest block whose stored
hash the node still has. Every finalized (booked) transfer above it whose transaction the
node no longer has is recorded in chain_vanished_transfers for a decision; nothing booked is
undone. Then, through the one fact sink, the cursor goes back to the fork point (not-final
transfers above it are removed, the lifecycle reverts what they paid) and the halt is
lifted: the watcher resumes and re-scans from there, reviving what it finds again.
Solana follows signatures, not blocks (no `--from`): its resync records the vanished
finalized transfers, drops every cursor whose signature the node no longer has (the watcher
starts that account over as on a first start: its newest SOLANA_FIRST_START signatures are
read again, and what was stored already is stored once) and lifts the halt.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import asyncpg

from gateway.chains.facts import Facts
from gateway.chains.models import BlockRef
from gateway.chains.rpc import RpcClient
from gateway.chains.solana.follow import cursor_name
from gateway.chains.solana.rpc import CONFIRMED, FINALIZED, SolanaRpc
from gateway.chains.solana.setup import resolve_treasury, rpc_for
from gateway.config import KNOWN_CHAINS, Settings
from gateway.db.pool import create_pool, database_url
from gateway.errors import GatewayError
from gateway.invoices.catalog import build_catalog
from gateway.log import get_logger
from gateway.pipeline import fact_sink
from gateway.status import service as status
from gateway.transfers.sink import TransferSink

log = get_logger(__name__)
_WINDOW = 64  # blocks compared per round trip while looking for the fork point


class ResyncRefused(GatewayError):
    """The resync cannot find where to start without guessing; the message says why."""


@dataclass(frozen=True)
class Resynced:
    chain: str
    fork_block: int | None
    vanished: list[int]


async def _bsc_hashes(rpc: RpcClient, lo: int, hi: int) -> dict[int, str]:
    answers = await rpc.batch([("eth_getBlockByNumber", [hex(n), False])
                               for n in range(lo, hi + 1)])
    return {n: str(a["hash"]).lower() for n, a in zip(range(lo, hi + 1), answers, strict=True)
            if isinstance(a, dict)}


async def _bsc_fork(rpc: RpcClient, sink: TransferSink, top: int, start: int | None
                    ) -> BlockRef:
    if start is not None:
        if start > top + 1:
            raise ResyncRefused(f"--from {start} would skip blocks: bsc is scanned through {top}")
        number = max(0, start - 1)
        found = await _bsc_hashes(rpc, number, number)
        if number not in found:
            raise ResyncRefused(f"the node has no block {number}")
        return BlockRef(number, found[number])
    lowest = await sink.lowest_block("bsc")
    hi = top
    while lowest is not None and hi >= lowest:
        lo = max(lowest, hi - _WINDOW + 1)
        stored = await sink.block_hashes("bsc", lo, hi)
        node = await _bsc_hashes(rpc, lo, hi)
        for number in range(hi, lo - 1, -1):
            if number in stored and stored[number] == node.get(number):
                return BlockRef(number, stored[number])
        hi = lo - 1
    raise ResyncRefused("no block kept in history is on the node's chain; "
                        "give --from N (a block at or below the fork)")


async def _bsc_missing(rpc: RpcClient, tx_hashes: Sequence[str]) -> set[str]:
    """The transactions the node has no receipt for."""
    if not tx_hashes:
        return set()
    receipts = await rpc.batch([("eth_getTransactionReceipt", [h]) for h in tx_hashes])
    return {h for h, r in zip(tx_hashes, receipts, strict=True) if not isinstance(r, dict)}


async def resync_bsc(settings: Settings, pool: asyncpg.Pool, start: int | None) -> Resynced:
    c = settings.chains
    rpc = RpcClient(settings.bsc_rpc_url, timeout=float(c.rpc_timeout))  # float-ok
    sink = fact_sink(pool)
    try:
        cursor = await sink.cursor("bsc")
        if cursor is None:
            async with pool.acquire() as conn:
                await status.resynced(conn, "bsc", 0, [])
            return Resynced("bsc", None, [])
        fork = await _bsc_fork(rpc, sink, cursor.block.number, start)
        async with pool.acquire() as conn:
            booked = await status.final_above(conn, "bsc", fork.number)
        missing = await _bsc_missing(rpc, sorted({r["tx_hash"] for r in booked}))
        gone = [r["id"] for r in booked if r["tx_hash"] in missing]
        await sink.emit(Facts("bsc", cursor="bsc", expected=cursor.block, rolled_back_to=fork,
                              resync=True))
        async with pool.acquire() as conn, conn.transaction():
            await status.resynced(conn, "bsc", fork.number, gone)
    finally:
        await rpc.close()
    return Resynced("bsc", fork.number, gone)


async def _solana_missing(rpc: SolanaRpc, signatures: Sequence[str]) -> set[str]:
    """The signatures the node does not know (searching its whole history)."""
    unique = sorted(set(signatures))
    known = await rpc.get_signature_statuses(unique) if unique else []
    return {s for s, st in zip(unique, known, strict=True) if st is None}


async def _forget_lost_cursors(rpc: SolanaRpc, sink: TransferSink,
                               treasury: Sequence[str]) -> list[str]:
    """Drop the cursors whose signature the node no longer has; their names."""
    names = [cursor_name(address, level) for address in treasury
             for level in (CONFIRMED, FINALIZED)]
    cursors = [c for c in [await sink.cursor(n) for n in names] if c is not None]
    missing = await _solana_missing(rpc, [c.block.hash for c in cursors])
    lost = [c for c in cursors if c.block.hash in missing]
    for cursor in lost:
        await sink.forget_cursor(cursor.chain, cursor.block)
    return [c.chain for c in lost]


async def resync_solana(settings: Settings, pool: asyncpg.Pool) -> Resynced:
    rpc = rpc_for(settings)
    try:
        async with pool.acquire() as conn:
            booked = await status.final_above(conn, "solana", -1)
        missing = await _solana_missing(rpc, [r["tx_hash"] for r in booked])
        gone = [r["id"] for r in booked if r["tx_hash"] in missing]
        treasury = await resolve_treasury(rpc, build_catalog(settings))
        lost = await _forget_lost_cursors(rpc, fact_sink(pool), treasury.addresses)
        log.warning("solana_cursors_restarted", chain="solana", cursors=lost)
        async with pool.acquire() as conn, conn.transaction():
            await status.resynced(conn, "solana", -1, gone)
    finally:
        await rpc.close()
    return Resynced("solana", None, gone)


async def resync(settings: Settings, chain: str, start: int | None) -> Resynced:
    pool = await create_pool(database_url(settings), min_size=1, max_size=3)
    try:
        if chain == "bsc":
            done = await resync_bsc(settings, pool, start)
        elif start is not None:
            raise ResyncRefused("--from applies to bsc only: Solana follows signatures")
        else:
            done = await resync_solana(settings, pool)
    finally:
        await pool.close()
    log.warning("chain_resynced", chain=chain, fork_block=done.fork_block,
                vanished_transfers=done.vanished)
    return done


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("chains", help="chain operations (resync a halted chain)")
    actions = parser.add_subparsers(dest="action", required=True)
    again = actions.add_parser("resync", help="lift a chain's halt and re-scan from below "
                               "the fork; vanished booked transfers are kept for a decision")
    again.add_argument("--chain", required=True, choices=KNOWN_CHAINS)
    again.add_argument("--from", dest="start", type=int, default=None, metavar="N",
                       help="re-scan from block N (bsc; default: the fork point found in "
                            "the kept block history)")
    again.set_defaults(func=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    done = asyncio.run(resync(settings, args.chain, args.start))
    print(json.dumps(asdict(done)))
    return 0
