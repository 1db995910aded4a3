"""The ledger's exceptions and the mapping of PostgreSQL rule violations onto them.

    LedgerError                  settlement.errors
    ├── UnbalancedEntry          debits != credits in a currency, or no postings (LG001)
    ├── IdempotencyConflict      same idempotency key, different content
    ├── ImmutableRecord          UPDATE/DELETE/TRUNCATE of journal rows (LG002)
    ├── UnknownAccount           no account with that code (LG005)
    ├── UnknownEntry             no journal entry with that id            (here)
    ├── AlreadyReversed          the entry has a reversal already          (here)
    ├── ClosedEntry              posting to an entry not open here (LG004) (here)
    └── AccountConflict          code reused with another currency/kind    (here, LG003/LG006)

The SQLSTATEs of class LG are raised by the triggers in settlement/migrations/0002.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from settlement.errors import ImmutableRecord, LedgerError, UnbalancedEntry, UnknownAccount


class UnknownEntry(LedgerError):
    """No journal entry has that id."""


class AlreadyReversed(LedgerError):
    """The entry was already reversed by another entry."""


class ClosedEntry(LedgerError):
    """A posting may only be added to an entry of the same transaction."""


class AccountConflict(LedgerError):
    """An account code is already kept in another currency or of another kind."""


_SQLSTATE_ERRORS: dict[str, type[LedgerError]] = {
    "LG001": UnbalancedEntry,
    "LG002": ImmutableRecord,
    "LG003": AccountConflict,
    "LG004": ClosedEntry,
    "LG005": UnknownAccount,
    "LG006": AccountConflict,
}


@contextmanager
def mapped_db_errors() -> Iterator[None]:
    """Turn PostgreSQL errors from the ledger's rules into LedgerError subclasses.

    Callers that commit their own transaction after `post()` wrap the commit in this too:
    the balance rule is checked at commit (deferred).
    """
    try:
        yield
    except asyncpg.PostgresError as exc:
        state = getattr(exc, "sqlstate", None) or ""
        constraint = getattr(exc, "constraint_name", None)
        if constraint == "journal_entries_reversed_once":
            raise AlreadyReversed(str(exc)) from exc
        raise _SQLSTATE_ERRORS.get(state, LedgerError)(str(exc)) from exc


