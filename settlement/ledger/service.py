"""Ledger rules: post balanced entries idempotently and reverse them.

Accounts are created on first use from their AccountSpec and remembered per process, so a
posting costs one round trip (plus a savepoint inside a caller's transaction). Errors are the
LedgerError branch drawn in settlement.ledger.errors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
import structlog

from settlement.db import Conn
from settlement.errors import IdempotencyConflict, LedgerError, UnknownAccount
from settlement.ledger import queries
from settlement.ledger.accounts import AccountKind, AccountSpec, Direction
from settlement.ledger.entries import JournalEntry, Posting, check_balanced, content_hash
from settlement.ledger.errors import AccountConflict, UnknownEntry, mapped_db_errors
from settlement.money import DEFAULT_REGISTRY, CurrencyRegistry, Money

log = structlog.get_logger(__name__)


# -- the account cache ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Known:
    id: int
    currency: str
    kind: str


# Accounts known to exist, by code: each posting skips the lookup round trip. An entry that
# turns out stale (an account created in a transaction that rolled back, another database)
# is detected by the insert itself, which joins accounts by code, and refreshed.
_accounts: dict[str, _Known] = {}


def forget_accounts(codes: Sequence[str] | None = None) -> None:
    """Drop cached account lookups (all when `codes` is None)."""
    if codes is None:
        _accounts.clear()
    for code in codes or ():
        _accounts.pop(code, None)


def _check_spec(spec: AccountSpec, known: _Known) -> None:
    if known.currency != spec.currency.code or known.kind != spec.kind.value:
        raise AccountConflict(
            f"account {spec.code} is a {known.kind} account in {known.currency}, "
            f"not a {spec.kind.value} account in {spec.currency.code}"
        )


async def ensure_accounts(conn: Conn, specs: Sequence[AccountSpec]) -> None:
    """Create missing accounts (or find them) and check they match their specs."""
    wanted = {s.code: s for s in specs}
    for code, spec in list(wanted.items()):
        if code in _accounts:
            _check_spec(spec, _accounts[code])
            del wanted[code]
    # A concurrent creator can commit between our insert and our read; one retry sees it.
    for _ in range(2):
        if not wanted:
            return
        ordered = sorted(wanted)
        with mapped_db_errors():
            rows = await queries.upsert_accounts(
                conn,
                ordered,
                [wanted[c].currency.code for c in ordered],
                [wanted[c].kind.value for c in ordered],
                [wanted[c].owner for c in ordered],
            )
        for row in rows:
            known = _Known(row["id"], row["currency"], row["kind"])
            _check_spec(wanted.pop(row["code"]), known)
            _accounts[row["code"]] = known
    if wanted:
        raise LedgerError(f"accounts could not be created: {sorted(wanted)}")


# -- posting -------------------------------------------------------------------------------
def _entry(row: asyncpg.Record, *, created: bool) -> JournalEntry:
    return JournalEntry(
        id=row["id"],
        idempotency_key=row["idempotency_key"],
        kind=row["kind"],
        reference=row["reference"],
        content_hash=row["content_hash"],
        metadata=json.loads(row["metadata"]),
        created_at=row["created_at"],
        effective_date=row["effective_date"],
        reverses_entry_id=row["reverses_entry_id"],
        created=created,
    )


def _metadata_json(metadata: Mapping[str, Any] | None) -> str:
    try:
        return json.dumps(dict(metadata or {}), sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise LedgerError(f"entry metadata must be JSON: {exc}") from exc


def _validate(idempotency_key: str, kind: str, postings: Sequence[Posting]) -> None:
    if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= 200:
        raise LedgerError("idempotency_key must be 1..200 characters")
    if not isinstance(kind, str) or not 1 <= len(kind) <= 64:
        raise LedgerError("entry kind must be 1..64 characters")
    check_balanced(postings)


@dataclass(frozen=True, slots=True)
class _Draft:
    idempotency_key: str
    kind: str
    reference: str | None
    metadata_json: str
    effective_date: date | None
    reverses_entry_id: int | None
    postings: tuple[Posting, ...]
    content_hash: str

    def lines(self) -> tuple[list[str], list[str], list[int], list[str]]:
        return (
            [p.account.code for p in self.postings],
            [p.amount.currency.code for p in self.postings],
            [p.amount.amount for p in self.postings],
            [p.direction.value for p in self.postings],
        )

    def entry(self, row: asyncpg.Record) -> JournalEntry:
        return JournalEntry(
            id=row["id"], idempotency_key=self.idempotency_key, kind=self.kind,
            reference=self.reference, content_hash=self.content_hash,
            metadata=json.loads(self.metadata_json), created_at=row["created_at"],
            effective_date=row["effective_date"], reverses_entry_id=self.reverses_entry_id,
            created=True,
        )


async def _insert(conn: Conn, draft: _Draft) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await queries.insert_entry(
        conn, idempotency_key=draft.idempotency_key, kind=draft.kind,
        reference=draft.reference, content_hash=draft.content_hash,
        metadata_json=draft.metadata_json, effective_date=draft.effective_date,
        reverses_entry_id=draft.reverses_entry_id, lines=draft.lines(),
    )
    return row


async def _insert_atomically(conn: Conn, draft: _Draft) -> asyncpg.Record | None:
    # Outside a transaction the single statement is atomic on its own (and its deferred
    # checks run at its implicit commit); inside one, a savepoint keeps a refused entry
    # from aborting the caller's transaction.
    with mapped_db_errors():
        if not conn.is_in_transaction():
            return await _insert(conn, draft)
        async with conn.transaction():
            return await _insert(conn, draft)


async def _replay(conn: Conn, draft: _Draft) -> JournalEntry:
    existing = await queries.entry_by_key(conn, draft.idempotency_key)
    if existing is None:
        raise LedgerError(f"entry {draft.idempotency_key!r} exists but is not visible")
    if existing["content_hash"] != draft.content_hash:
        raise IdempotencyConflict(
            f"idempotency key {draft.idempotency_key!r} was used for different content "
            f"(entry {existing['id']})"
        )
    return _entry(existing, created=False)


async def post(
    conn: Conn,
    *,
    idempotency_key: str,
    kind: str,
    postings: Sequence[Posting],
    reference: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    effective_date: date | None = None,
    reverses_entry_id: int | None = None,
) -> JournalEntry:
    """Post one balanced entry, or return the entry already posted under the same key.

    Works inside the caller's transaction (as a savepoint) or on its own. A re-post with
    the same key and content returns the first entry (`created=False`); different content
    raises IdempotencyConflict. Concurrent posters of one key are serialised by the unique
    index: the second waits for the first to commit, then compares hashes.
    """
    _validate(idempotency_key, kind, postings)
    metadata_json = _metadata_json(metadata)
    draft = _Draft(
        idempotency_key, kind, reference, metadata_json, effective_date, reverses_entry_id,
        tuple(postings),
        content_hash(
            kind=kind, reference=reference, metadata=json.loads(metadata_json),
            effective_date=effective_date, reverses_entry_id=reverses_entry_id,
            postings=postings,
        ),
    )
    specs = [p.account for p in postings]
    for attempt in (1, 2):
        await ensure_accounts(conn, specs)
        try:
            row = await _insert_atomically(conn, draft)
        except UnknownAccount:
            if attempt == 2:
                raise
            forget_accounts([s.code for s in specs])
            continue
        if row is None:
            return await _replay(conn, draft)
        log.debug("ledger_entry_posted", entry_id=row["id"], kind=kind, reference=reference)
        return draft.entry(row)
    raise LedgerError("unreachable: post retried past its limit")


def _posting_from_row(row: asyncpg.Record, registry: CurrencyRegistry) -> Posting:
    cur = registry.get(row["currency"])
    spec = AccountSpec(row["code"], cur, AccountKind(row["kind"]), row["owner"])
    return Posting(spec, Direction(row["direction"]), Money(int(row["amount"]), cur))


async def get_entry(conn: Conn, entry_id: int) -> JournalEntry:
    row = await queries.entry_by_id(conn, entry_id)
    if row is None:
        raise UnknownEntry(f"no journal entry {entry_id}")
    return _entry(row, created=False)


async def find_entry(conn: Conn, idempotency_key: str) -> JournalEntry | None:
    """The entry posted under `idempotency_key`, None when there is none."""
    row = await queries.entry_by_key(conn, idempotency_key)
    return None if row is None else _entry(row, created=False)


async def entry_postings(
    conn: Conn, entry_id: int, *, registry: CurrencyRegistry = DEFAULT_REGISTRY
) -> list[Posting]:
    """The postings of an entry, in the order they were written."""
    return [_posting_from_row(r, registry) for r in await queries.entry_postings(conn, entry_id)]


def _reversal_metadata(original: JournalEntry) -> dict[str, Any]:
    """What a reversal records: the kind it reverses and, for a split-asset settlement, the
    per-asset KZT cost parts (settlement.invoice_booking), which it takes out again."""
    metadata: dict[str, Any] = {"reverses_kind": original.kind}
    if "kzt_cost" in original.metadata:
        metadata["kzt_cost"] = original.metadata["kzt_cost"]
    return metadata


async def reverse(
    conn: Conn,
    entry_id: int,
    *,
    idempotency_key: str,
    registry: CurrencyRegistry = DEFAULT_REGISTRY,
) -> JournalEntry:
    """Post the mirror image of an entry (every debit a credit and back): the correction.

    An entry is reversed at most once (AlreadyReversed); reversing the same entry again with
    the same idempotency key returns the first reversal.
    """
    original = await get_entry(conn, entry_id)
    flipped = [
        Posting(p.account, p.direction.opposite, p.amount)
        for p in await entry_postings(conn, entry_id, registry=registry)
    ]
    return await post(
        conn, idempotency_key=idempotency_key, kind="reversal", postings=flipped,
        reference=original.reference, metadata=_reversal_metadata(original),
        reverses_entry_id=entry_id,
    )
