"""Postings and journal entries as values, the balance rule and the idempotency content hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from settlement.errors import CurrencyMismatch, InvalidAmount, UnbalancedEntry
from settlement.ledger.accounts import AccountSpec, Direction
from settlement.money import Money


@dataclass(frozen=True, slots=True)
class Posting:
    """One line of an entry: a positive amount debited or credited to one account."""

    account: AccountSpec
    direction: Direction
    amount: Money

    def __post_init__(self) -> None:
        if self.amount.currency != self.account.currency:
            raise CurrencyMismatch(
                f"{self.amount.currency.code} posting to {self.account.code} "
                f"kept in {self.account.currency.code}"
            )
        if self.amount.amount <= 0:
            raise InvalidAmount(f"posting amounts are positive, got {self.amount}")

    @property
    def signed(self) -> int:
        """Debits positive, credits negative: an entry's signed amounts sum to zero."""
        return self.amount.amount if self.direction is Direction.DEBIT else -self.amount.amount


def _money(account: AccountSpec, amount: Money | int) -> Money:
    return amount if isinstance(amount, Money) else Money(amount, account.currency)


def debit(account: AccountSpec, amount: Money | int) -> Posting:
    """A debit; an int amount is in the account's currency's minor units."""
    return Posting(account, Direction.DEBIT, _money(account, amount))


def credit(account: AccountSpec, amount: Money | int) -> Posting:
    """A credit; an int amount is in the account's currency's minor units."""
    return Posting(account, Direction.CREDIT, _money(account, amount))


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A posted entry; `created` is False when an idempotent re-post returned the first one."""

    id: int
    idempotency_key: str
    kind: str
    reference: str | None
    content_hash: str
    metadata: dict[str, Any]
    created_at: datetime
    effective_date: date
    reverses_entry_id: int | None
    created: bool


def check_balanced(postings: Sequence[Posting]) -> None:
    """Raise UnbalancedEntry unless there are postings and each currency nets to zero."""
    if not postings:
        raise UnbalancedEntry("a journal entry needs at least one posting")
    totals: dict[str, int] = {}
    for posting in postings:
        code = posting.amount.currency.code
        totals[code] = totals.get(code, 0) + posting.signed
    unbalanced = {code: total for code, total in totals.items() if total != 0}
    if unbalanced:
        raise UnbalancedEntry(f"debits minus credits are not zero: {unbalanced}")


def content_hash(
    *,
    kind: str,
    reference: str | None,
    metadata: Mapping[str, Any],
    effective_date: date | None,
    reverses_entry_id: int | None,
    postings: Sequence[Posting],
) -> str:
    """sha256 of everything an entry says; equal hashes make a re-post a harmless replay.

    Postings are sorted so that the order they were listed in does not matter.
    """
    lines = sorted(
        (p.account.code, p.amount.currency.code, p.direction.value, str(p.amount.amount))
        for p in postings
    )
    document = {
        "kind": kind,
        "reference": reference,
        "metadata": metadata,
        "effective_date": effective_date.isoformat() if effective_date else None,
        "reverses_entry_id": reverses_entry_id,
        "postings": lines,
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()
