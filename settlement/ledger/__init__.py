"""The double-entry ledger: accounts, balanced idempotent journal entries, balances.

Typical use, inside the transaction that changes an invoice's state::

    async with conn.transaction():
        ...
        await ledger.post(conn, idempotency_key=f"invoice:{id}:settled", kind="invoice_settled",
                          postings=invoice_settlement_postings(...), reference=str(id))

See docs/ledger.md for the schema, the rules PostgreSQL enforces and the balance design.
"""

from settlement.errors import (
    IdempotencyConflict,
    ImmutableRecord,
    LedgerError,
    UnbalancedEntry,
    UnknownAccount,
)
from settlement.ledger.accounts import (
    BANK,
    FEE_REVENUE,
    FX_RESULT,
    PAYOUTS_IN_TRANSIT,
    AccountKind,
    AccountSpec,
    Direction,
    custody,
    custody_of,
    fx_position,
    merchant_payable,
    network_fees,
    refunds_in_transit,
)
from settlement.ledger.balances import (
    balance,
    balances,
    posting_sums,
    prune_snapshots,
    snapshot_loop,
    take_snapshots,
    trial_balance,
)
from settlement.ledger.entries import JournalEntry, Posting, credit, debit
from settlement.ledger.errors import (
    AccountConflict,
    AlreadyReversed,
    ClosedEntry,
    UnknownEntry,
    mapped_db_errors,
)
from settlement.ledger.service import (
    ensure_accounts,
    entry_postings,
    find_entry,
    forget_accounts,
    get_entry,
    post,
    reverse,
)

__all__ = [
    "BANK",
    "FEE_REVENUE",
    "FX_RESULT",
    "PAYOUTS_IN_TRANSIT",
    "AccountConflict",
    "AccountKind",
    "AccountSpec",
    "AlreadyReversed",
    "ClosedEntry",
    "Direction",
    "IdempotencyConflict",
    "ImmutableRecord",
    "JournalEntry",
    "LedgerError",
    "Posting",
    "UnbalancedEntry",
    "UnknownAccount",
    "UnknownEntry",
    "balance",
    "balances",
    "credit",
    "custody",
    "custody_of",
    "debit",
    "ensure_accounts",
    "entry_postings",
    "find_entry",
    "forget_accounts",
    "fx_position",
    "get_entry",
    "mapped_db_errors",
    "merchant_payable",
    "network_fees",
    "post",
    "posting_sums",
    "prune_snapshots",
    "refunds_in_transit",
    "reverse",
    "snapshot_loop",
    "take_snapshots",
    "trial_balance",
]
