"""The devnet's cluster state: a LiteSVM bank, slots on a clock, commitments and the history.

Slot model: transactions land in the current slot (`processed`); a slot is `confirmed` once
one more slot has passed and `finalized` once `finality_slots` have passed. There are no
forks and no skipped slots, so block height equals slot and every slot has one blockhash.
A blockhash is usable for BLOCKHASH_VALID_SLOTS slots, like mainnet's 150 blocks.

Account reads always see the newest (processed) bank: LiteSVM keeps no per-slot snapshots.
Everything that is about transactions (statuses, signature lists, getTransaction) honours the
commitment exactly, which is what a payment watcher depends on.

A fork, which the cluster never makes on its own here, is made on purpose for tests
(`snapshot` / `revert`, served as the devnet-only devnetSnapshot / devnetRevert methods like
anvil's evm_snapshot / evm_revert): every transaction after the snapshot leaves the history and
the bank (each one's accounts are put back as they were before it ran), the slot clock goes
back to the snapshot's slot and the new fork's slots get new blockhashes. Reverting below the
finalized slot is exactly the broken invariant a watcher must notice.
"""

from __future__ import annotations

import enum
import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass

from solders.account import Account
from solders.clock import Clock
from solders.hash import Hash
from solders.litesvm import LiteSVM
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import (
    FailedTransactionMetadata,
    SimulatedTransactionInfo,
    TransactionMetadata,
)

from gateway.devnet.solana import constants as c
from gateway.devnet.solana.errors import TransactionRejected
from gateway.devnet.solana.genesis import build_svm
from gateway.devnet.solana.records import (
    AccountKeys,
    Execution,
    TxRecord,
    balances,
    resolve_keys,
    token_balances,
)
from gateway.devnet.solana.txerrors import error_json


class Commitment(enum.IntEnum):
    """Ordered: a higher level is a stronger guarantee."""

    PROCESSED = 0
    CONFIRMED = 1
    FINALIZED = 2

    @property
    def wire(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Snapshot:
    slot: int
    transactions: int  # the length of the history when it was taken


@dataclass(frozen=True)
class Simulation:
    execution: Execution
    keys: AccountKeys
    post_accounts: dict[str, object]


class Ledger:
    """Slots, blockhashes and the transaction history around one LiteSVM instance."""

    def __init__(self, *, finality_slots: int, kzte_decimals: int) -> None:
        if finality_slots < 1:
            raise ValueError("finality_slots must be at least 1")
        self.finality_slots = finality_slots
        self.kzte_decimals = kzte_decimals
        self.svm: LiteSVM = build_svm(kzte_decimals)
        self.slot = c.GENESIS_SLOT
        self.slot_time = int(time.time())
        self._genesis_time = self.slot_time
        self._set_clock()
        # Per-process salt: blockhashes (and so signatures) differ between runs.
        self._salt = hashlib.sha256(str(time.time_ns()).encode()).digest()
        self._hashes: OrderedDict[int, str] = OrderedDict()
        self._hash_slots: dict[str, int] = {}
        self.history: list[TxRecord] = []
        self.by_signature: dict[str, TxRecord] = {}
        self.by_address: dict[str, list[TxRecord]] = {}
        # Per history entry: its accounts as they were before it ran (None: not existing).
        self._undo: list[dict[Pubkey, Account | None]] = []
        self.snapshots: list[Snapshot] = []
        self._new_blockhash()

    # -- slots and blockhashes ------------------------------------------------------------

    def advance(self) -> None:
        """Produce the next slot: new blockhash, clock sysvar moved, old hashes forgotten."""
        self.slot += 1
        self.slot_time = int(time.time())
        self._set_clock()
        self._new_blockhash()

    def _set_clock(self) -> None:
        """Programs reading the Clock sysvar see our slot and wall-clock time (one epoch)."""
        self.svm.set_clock(Clock(self.slot, self._genesis_time, 0, 1, self.slot_time))

    def _new_blockhash(self) -> None:
        digest = hashlib.sha256(self._salt + self.slot.to_bytes(8, "little")).digest()
        blockhash = str(Hash(digest))
        self._hashes[self.slot] = blockhash
        self._hash_slots[blockhash] = self.slot
        keep = c.BLOCKHASH_VALID_SLOTS + self.finality_slots + 1
        while len(self._hashes) > keep:
            _, old = self._hashes.popitem(last=False)
            del self._hash_slots[old]

    def slot_at(self, commitment: Commitment) -> int:
        lag = {Commitment.PROCESSED: 0, Commitment.CONFIRMED: 1}.get(
            commitment, self.finality_slots
        )
        return max(c.GENESIS_SLOT, self.slot - lag)

    def blockhash_at(self, slot: int) -> str:
        return self._hashes[slot]

    def blockhash_valid(self, blockhash: str, slot: int | None = None) -> bool:
        hash_slot = self._hash_slots.get(blockhash)
        at = self.slot if slot is None else slot
        return hash_slot is not None and at - c.BLOCKHASH_VALID_SLOTS <= hash_slot <= at

    # -- commitment of a recorded transaction ---------------------------------------------

    def commitment_of(self, record: TxRecord) -> Commitment:
        if record.slot <= self.slot_at(Commitment.FINALIZED):
            return Commitment.FINALIZED
        if record.slot <= self.slot_at(Commitment.CONFIRMED):
            return Commitment.CONFIRMED
        return Commitment.PROCESSED

    def visible(self, record: TxRecord, commitment: Commitment) -> bool:
        return self.commitment_of(record) >= commitment

    # -- execution ------------------------------------------------------------------------

    def _check_admissible(self, tx: VersionedTransaction) -> None:
        if str(tx.signatures[0]) in self.by_signature:
            raise TransactionRejected("AlreadyProcessed")
        if not self.blockhash_valid(str(tx.message.recent_blockhash)):
            raise TransactionRejected("BlockhashNotFound")

    def _keys(self, tx: VersionedTransaction) -> AccountKeys:
        try:
            return resolve_keys(tx, self.svm.get_account)
        except LookupError as exc:
            raise TransactionRejected(str(exc)) from exc

    def execute(self, tx: VersionedTransaction, wire: bytes) -> TxRecord:
        """Process `tx` in the current slot and record it (also when it fails after paying)."""
        self._check_admissible(tx)
        keys = self._keys(tx)
        get = self.svm.get_account
        pre, pre_tokens = balances(keys.all, get), token_balances(keys.all, get)
        before = {key: get(key) for key in keys.all}
        result = self.svm.send_transaction(tx)
        post = balances(keys.all, get)
        if isinstance(result, FailedTransactionMetadata) and post[0] >= pre[0]:
            # Never executed (fee not charged): a validator drops it, nothing is recorded.
            raise TransactionRejected(error_json(result.err()))
        record = TxRecord(
            seq=len(self.history), signature=str(tx.signatures[0]), slot=self.slot,
            block_time=self.slot_time, tx=tx, wire=wire, keys=keys,
            execution=_execution(result), pre_balances=pre, post_balances=post,
            pre_token_balances=pre_tokens, post_token_balances=token_balances(keys.all, get),
        )
        self._remember(record)
        self._undo.append(before)
        return record

    def _remember(self, record: TxRecord) -> None:
        self.history.append(record)
        self.by_signature[record.signature] = record
        for key in dict.fromkeys(str(k) for k in record.keys.all):
            self.by_address.setdefault(key, []).append(record)

    def simulate(self, tx: VersionedTransaction, *, sig_verify: bool) -> Simulation:
        """Run `tx` against the current bank without keeping any change."""
        keys = self._keys(tx)
        self.svm.with_sigverify(sig_verify)
        try:
            result = self.svm.simulate_transaction(tx)
        finally:
            self.svm.with_sigverify(True)
        post: dict[str, object] = {}
        if isinstance(result, SimulatedTransactionInfo):
            post = {str(key): account for key, account in result.post_accounts()}
        return Simulation(_execution(result), keys, post)

    # -- forks (devnet-only controls) ----------------------------------------------------

    def snapshot(self) -> int:
        """Remember this point of the chain; the id `revert` takes."""
        self.snapshots.append(Snapshot(self.slot, len(self.history)))
        return len(self.snapshots) - 1

    def revert(self, snapshot_id: int) -> None:
        """Fork from the snapshot's slot: later transactions and slots are gone."""
        snap = self.snapshots[snapshot_id]
        del self.snapshots[snapshot_id:]
        while len(self.history) > snap.transactions:
            self._forget(self.history.pop(), self._undo.pop())
        for slot in [s for s in self._hashes if s > snap.slot]:
            del self._hash_slots[self._hashes.pop(slot)]
        # The new fork's slots get blockhashes of their own.
        self._salt = hashlib.sha256(self._salt + b"fork").digest()
        self.slot = snap.slot
        self.slot_time = int(time.time())
        self._set_clock()

    def _forget(self, record: TxRecord, before: dict[Pubkey, Account | None]) -> None:
        del self.by_signature[record.signature]
        for address in dict.fromkeys(str(k) for k in record.keys.all):
            self.by_address[address].pop()  # newest last: this record
        system = Pubkey.from_string(c.SYSTEM_PROGRAM)
        for pubkey, account in before.items():
            self.svm.set_account(pubkey, account or Account(0, b"", system))

    def signatures_for(self, address: Pubkey) -> list[TxRecord]:
        return self.by_address.get(str(address), [])


def _execution(
    result: TransactionMetadata | FailedTransactionMetadata | SimulatedTransactionInfo,
) -> Execution:
    err = None
    meta: TransactionMetadata
    if isinstance(result, FailedTransactionMetadata):
        err = error_json(result.err())
        meta = result.meta()
    elif isinstance(result, SimulatedTransactionInfo):
        meta = result.meta()
    else:
        meta = result
    ret = meta.return_data()
    return Execution(
        err=err, fee=meta.fee(), logs=list(meta.logs()),
        inner=[list(group) for group in meta.inner_instructions()],
        compute_units=meta.compute_units_consumed(),
        return_program=str(ret.program_id), return_data=bytes(ret.data),
    )
