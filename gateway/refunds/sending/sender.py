"""The refund sender: takes every refund in `sending` / `sent` to a final transaction, once.

One pass per interval over `outcomes.refunds_to_send`, each refund advanced by its live
refund_transactions row (migration 0095):

    no row       build; hot: sign. In ONE database transaction: the BNB Chain nonce is
                 allocated (its refund_nonces row FOR UPDATE), the unsigned and signed bytes
                 and the hash are stored and outcomes.on_signed books in-transit. Commit.
                 Offline: only the unsigned bytes; the operator submits the signed ones.
    built        offline, waiting for the signature (a Solana blockhash that expired meanwhile
                 is replaced by a newly built message)
    signed       broadcast the stored bytes; then `broadcast` + on_broadcast (sent), one commit
    broadcast    final -> on_final (succeeded); failed -> on_failed; unknown to the chain ->
                 the same bytes again, or, for an expired Solana blockhash whose signature the
                 cluster does not know, a re-signed transaction (on_resigned)

Before building (no row) and before broadcasting (signed) the wallet's funds are checked
(Network.shortfall): a wallet that cannot pay leaves the refund where it is with
`pending_reason` insufficient_funds, checked again with backoff (REFUND_FUNDS_RECHECK_CAP);
nothing is signed for it meanwhile, so once funded it goes out as one transaction
(docs/refunds.md, "When the refund wallet cannot pay").

Nothing is ever broadcast that is not committed first, and a restart (or a crash anywhere,
see sending.crash) resumes from the rows: the same bytes go out again, never a second
transaction. One sender is active across processes (leader lock `refund-sender`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

import asyncpg

from gateway.chains.rpc import RetryPolicy
from gateway.errors import ChainError
from gateway.log import get_logger
from gateway.refunds.errors import RefundError
from gateway.refunds.models import Refund
from gateway.refunds.sending import outcomes, queries
from gateway.refunds.sending.crash import crash_point
from gateway.refunds.sending.errors import SendingError
from gateway.refunds.sending.network import Network, Outcome, Shortfall, Status
from gateway.refunds.sending.queries import RefundTransaction
from gateway.refunds.sending.signers import Signer
from gateway.refunds.states import RefundStatus
from settlement.db import Conn

log = get_logger(__name__)

PASS_LIMIT = 100
FUNDS_RECHECK_CAP = 60.0  # float-ok: seconds, REFUND_FUNDS_RECHECK_CAP's default
MAX_BACKOFF_ATTEMPT = 32


async def allocate_nonce(conn: Conn, chain: str, address: str, chain_next: int) -> int:
    """The next nonce of `address`, under a lock on its row (inside the caller's transaction):
    never below the chain's own count (the wallet may have been used elsewhere)."""
    await queries.ensure_nonce_row(conn, chain, address, chain_next)
    nonce = max(await queries.lock_nonce(conn, chain, address), chain_next)
    await queries.set_next_nonce(conn, chain, address, nonce + 1)
    return nonce


def every_refund(refund: Refund) -> bool:
    return True


class Sender:
    """`takes` says which refunds this sender works on: all of them, except in tests that
    share one database and must leave other tests' refunds alone.

    Before it signs (or broadcasts) a refund it checks that the wallet can pay it; a wallet
    that cannot leaves the refund `sending` with `pending_reason` insufficient_funds, looked
    at again after `funds_recheck`'s backoff (the attempt is the refund's pending_checks).
    `fail_underfunded_after` (None: never) fails a refund nothing was signed for yet once its
    wallet stayed short that long."""

    def __init__(self, pool: asyncpg.Pool, networks: Mapping[str, Network],
                 signers: Mapping[str, Signer], *, interval: float,  # float-ok
                 takes: Callable[[Refund], bool] = every_refund,
                 funds_recheck: RetryPolicy | None = None,
                 fail_underfunded_after: timedelta | None = None) -> None:
        self.pool = pool
        self.networks = dict(networks)
        self.signers = dict(signers)
        self.interval = interval
        self.takes = takes
        self.funds_recheck = funds_recheck or RetryPolicy(
            base_delay=interval, max_delay=max(interval, FUNDS_RECHECK_CAP))
        self.fail_underfunded_after = fail_underfunded_after

    async def run(self) -> None:
        while True:
            try:
                await self.pass_once()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("refund_sender_database_unavailable", error=str(exc))
            await asyncio.sleep(self.interval)

    async def pass_once(self) -> None:
        async with self.pool.acquire() as conn:
            refunds = await outcomes.refunds_to_send(conn, limit=PASS_LIMIT)
        for refund in filter(self.takes, refunds):
            bound = log.bind(refund=refund.id, chain=refund.chain)
            try:
                await self.advance(refund)
            except (ChainError, SendingError, RefundError) as exc:
                bound.warning("refund_send_retry", error=str(exc))
            except Exception:
                # One refund's unexpected answer (a malformed node reply, a broken row) must
                # not stop the others; it is retried on the next pass and logged loudly.
                bound.exception("refund_send_error")

    async def advance(self, refund: Refund) -> None:
        network = self.networks.get(refund.chain or "")
        if network is None:
            raise SendingError(f"no network for chain {refund.chain}")
        async with self.pool.acquire() as conn:
            tx = await queries.live_transaction(conn, refund.id)
        if tx is None:
            if not await self._funded(refund, network, None):
                return
            tx = await self.prepare(refund, network)
            if tx is None:
                return
            crash_point("after_commit")
        if tx.status == "built":
            await self._replace_if_expired(refund, tx, network)
            return
        if tx.status == "signed":
            if not await self._funded(refund, network, tx):
                return
            tx = await self._broadcast(refund, tx, network)
            if tx is None:
                return
        if tx.status == "broadcast":
            await self._settle(refund, tx, network)

    # -- the wallet's funds --------------------------------------------------------------
    async def _funded(self, refund: Refund, network: Network,
                      tx: RefundTransaction | None) -> bool:
        """Whether the wallet can pay `refund` (of `tx` when stored); records why not."""
        wallet = self.signers[network.chain].address
        try:
            short = await network.shortfall(refund, wallet, tx)
        except SendingError:
            return True  # a refund that cannot be built: prepare fails it, with the reason
        if short is not None:
            await self._underfunded(refund, network, tx, short)
            return False
        if refund.pending_reason is not None:
            async with self.pool.acquire() as conn:
                cleared = await outcomes.on_funded(conn, refund_id=refund.id)
            # Once (`refund` is this pass's copy), at the level of the warning it ends, so
            # that whoever watches warnings sees the wait end too.
            if cleared is not None:
                log.warning("refund_wallet_funded", refund=refund.id, chain=network.chain,
                         wallet=wallet, short_since=refund.pending_since)
        return True

    async def _underfunded(self, refund: Refund, network: Network,
                           tx: RefundTransaction | None, short: Shortfall) -> None:
        wallet = self.signers[network.chain].address
        bound = log.bind(refund=refund.id, chain=network.chain, wallet=wallet,
                         asset=short.asset_id, needed=short.needed, held=short.held)
        # The attempt is capped: the delay stops growing long before, and 2.0 ** n overflows.
        delay = self.funds_recheck.delay(min(refund.pending_checks + 1, MAX_BACKOFF_ATTEMPT))
        async with self.pool.acquire() as conn, conn.transaction():
            marked = await outcomes.on_underfunded(conn, refund_id=refund.id,
                                                   detail=short.detail, recheck_seconds=delay)
            if marked is None:
                return
            if tx is None and self._gave_up(marked):
                await outcomes.on_failed(conn, refund_id=refund.id,
                                         reason=f"{outcomes.INSUFFICIENT_FUNDS}: {short.detail}")
                bound.warning("refund_failed_underfunded", since=marked.pending_since)
                return
        # Once per change of state, not per check: the check repeats with backoff.
        if refund.pending_reason is None:
            bound.warning("refund_wallet_underfunded")
        else:
            bound.debug("refund_wallet_still_underfunded", checks=marked.pending_checks)

    def _gave_up(self, refund: Refund) -> bool:
        """Nothing signed yet, and the wallet stayed short for `fail_underfunded_after`."""
        if self.fail_underfunded_after is None or refund.pending_since is None:
            return False
        return datetime.now(UTC) - refund.pending_since >= self.fail_underfunded_after

    # -- building and signing ------------------------------------------------------------
    async def prepare(self, refund: Refund, network: Network) -> RefundTransaction | None:
        """Build (and, hot, sign) the refund's transaction and commit it; nothing is sent."""
        signer = self.signers[network.chain]
        if refund.status is not RefundStatus.SENDING:
            raise SendingError(f"refund {refund.id} is {refund.status} without a transaction")
        chain_next = await network.next_nonce(signer.address)
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                return await self._build_and_store(conn, refund, network, signer, chain_next)
        except SendingError as exc:
            # Nothing was signed (the transaction rolled back): fail it, refundable again.
            async with self.pool.acquire() as conn, conn.transaction():
                await outcomes.on_failed(conn, refund_id=refund.id, reason=str(exc))
            log.warning("refund_not_sendable", refund=refund.id, error=str(exc))
            return None

    async def _build_and_store(self, conn: Conn, refund: Refund, network: Network,
                               signer: Signer, chain_next: int | None,
                               ) -> RefundTransaction | None:
        locked = await queries.refund_for_update(conn, refund.id)
        if locked is None or locked["status"] != RefundStatus.SENDING:
            return None
        if await queries.live_transaction(conn, refund.id) is not None:
            return None  # another pass got there first
        nonce = None
        if chain_next is not None:
            nonce = await allocate_nonce(conn, network.chain, signer.address, chain_next)
            crash_point("after_nonce")
        tx = await self._store_new(conn, refund, network, signer, nonce)
        if tx.tx_hash is not None:
            await outcomes.on_signed(conn, refund_id=refund.id, tx_hash=tx.tx_hash)
        log.info("refund_signed" if tx.tx_hash else "refund_built", refund=refund.id,
                 chain=network.chain, tx=tx.tx_hash, nonce=nonce)
        return tx

    async def _store_new(self, conn: Conn, refund: Refund, network: Network, signer: Signer,
                         nonce: int | None) -> RefundTransaction:
        built = await network.build(refund, signer.address, nonce)
        signed = signer.sign(built.unsigned)
        tx_hash = None if signed is None else network.verify(built.unsigned, signed,
                                                               signer.address)
        return await queries.insert_transaction(
            conn, refund_id=refund.id, chain=network.chain, from_address=signer.address,
            nonce=built.nonce, recent_blockhash=built.recent_blockhash,
            last_valid_block_height=built.last_valid_block_height, unsigned_tx=built.unsigned,
            signed_tx=signed, tx_hash=tx_hash)

    async def _replace(self, refund: Refund, tx: RefundTransaction,
                       network: Network) -> RefundTransaction | None:
        """Replace a transaction that can never land (checked by the caller) by a new one."""
        signer = self.signers[network.chain]
        async with self.pool.acquire() as conn, conn.transaction():
            await queries.refund_for_update(conn, refund.id)
            if await queries.mark_transaction(conn, tx.id, tx.status, "replaced") is None:
                return None
            new = await self._store_new(conn, refund, network, signer, tx.nonce)
            if new.tx_hash is not None:
                await outcomes.on_resigned(conn, refund_id=refund.id, tx_hash=new.tx_hash)
        log.info("refund_resigned", refund=refund.id, old=tx.tx_hash, new=new.tx_hash,
                 blockhash=new.recent_blockhash)
        return new

    async def _replace_if_expired(self, refund: Refund, tx: RefundTransaction,
                                  network: Network) -> None:
        if await network.expired(tx):
            await self._replace(refund, tx, network)

    # -- broadcast and finality ----------------------------------------------------------
    async def _broadcast(self, refund: Refund, tx: RefundTransaction,
                         network: Network) -> RefundTransaction | None:
        try:
            await network.broadcast(tx)
        except ChainError as exc:
            if await network.expired(tx):
                await self._replace(refund, tx, network)
                return None
            log.warning("refund_broadcast_refused", refund=refund.id, tx=tx.tx_hash,
                        error=str(exc))
            return None
        crash_point("after_broadcast")
        async with self.pool.acquire() as conn, conn.transaction():
            marked = await queries.mark_transaction(conn, tx.id, "signed", "broadcast")
            await outcomes.on_broadcast(conn, refund_id=refund.id)
        log.info("refund_broadcast", refund=refund.id, tx=tx.tx_hash)
        return marked

    async def _settle(self, refund: Refund, tx: RefundTransaction, network: Network) -> None:
        outcome = await network.outcome(tx, refund)
        if outcome.status is Status.PENDING:
            return
        if outcome.status is Status.UNKNOWN:
            await self._lost(refund, tx, network)
            return
        crash_point("before_final")
        await self._finish(refund, tx, outcome)

    async def _lost(self, refund: Refund, tx: RefundTransaction, network: Network) -> None:
        """The chain does not know an accepted transaction (dropped from the pool, or a
        node restart): the same bytes again, or a replacement once it can never land."""
        if await network.expired(tx):
            await self._replace(refund, tx, network)
            return
        try:
            await network.broadcast(tx)
        except ChainError as exc:
            log.warning("refund_rebroadcast_refused", refund=refund.id, tx=tx.tx_hash,
                        error=str(exc))

    async def _finish(self, refund: Refund, tx: RefundTransaction, outcome: Outcome) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            if outcome.status is Status.FINAL:
                await queries.mark_transaction(conn, tx.id, "broadcast", "final")
                done = await outcomes.on_final(conn, refund_id=refund.id,
                                               fee_units=outcome.fee_units)
            else:
                await queries.mark_transaction(conn, tx.id, "broadcast", "failed")
                done = await outcomes.on_failed(conn, refund_id=refund.id,
                                                reason=outcome.reason,
                                                fee_units=outcome.fee_units)
        log.info("refund_finished", refund=refund.id, status=str(done.status), tx=tx.tx_hash,
                 fee_units=outcome.fee_units)
