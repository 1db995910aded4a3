-- The double-entry ledger: accounts, journal entries (one business event each) and postings.
-- See docs/ledger.md. Amounts are integers of the currency's smallest unit (numeric(78,0)
-- holds any uint256). The rules that keep the books consistent are in 0002_ledger_rules.sql.

CREATE TYPE ledger_account_kind AS ENUM ('asset', 'liability', 'revenue', 'expense', 'equity');
CREATE TYPE ledger_direction AS ENUM ('debit', 'credit');

CREATE TABLE ledger_accounts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code       text NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 200),
    currency   text NOT NULL CHECK (length(currency) BETWEEN 1 AND 40),
    kind       ledger_account_kind NOT NULL,
    owner      text,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE journal_entries (
    id                bigserial PRIMARY KEY,
    idempotency_key   text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    kind              text NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
    reference         text,
    content_hash      text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    metadata          jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at        timestamptz NOT NULL DEFAULT now(),
    -- The business day in the zone's time: settlement cut-offs are in Asia/Almaty.
    effective_date    date NOT NULL DEFAULT (now() AT TIME ZONE 'Asia/Almaty')::date,
    reverses_entry_id bigint REFERENCES journal_entries (id),
    -- The writing transaction (set by trigger): postings may only join an entry of their
    -- own transaction, and balance snapshots cut the journal by transaction id.
    txid              xid8 NOT NULL DEFAULT pg_current_xact_id()
);

-- An entry is reversed at most once; a second correction must reverse the reversal.
CREATE UNIQUE INDEX journal_entries_reversed_once
    ON journal_entries (reverses_entry_id) WHERE reverses_entry_id IS NOT NULL;
CREATE INDEX journal_entries_reference
    ON journal_entries (reference) WHERE reference IS NOT NULL;
CREATE INDEX journal_entries_effective_date ON journal_entries (effective_date);

-- account_id and entry_id deliberately have no FOREIGN KEY. A foreign-key check takes
-- FOR KEY SHARE on the referenced row, and every payment references the same hot accounts
-- (fee_revenue, fx_position:*), so concurrent writers would contend on one tuple's lock
-- (MultiXacts); for entry_id the check only repeats what the insert trigger already looks
-- up, and cost about a sixth of the write throughput when measured. The insert trigger
-- (0002) requires both rows to exist, and neither can be deleted once referenced.
CREATE TABLE postings (
    id         bigserial PRIMARY KEY,
    entry_id   bigint NOT NULL,
    account_id bigint NOT NULL,
    currency   text NOT NULL,
    amount     numeric(78, 0) NOT NULL CHECK (amount > 0),
    direction  ledger_direction NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    txid       xid8 NOT NULL DEFAULT pg_current_xact_id()
);

CREATE INDEX postings_entry ON postings (entry_id);
-- Balance reads and snapshots: one account's postings at or above a snapshot horizon. No
-- INCLUDE columns: the recent rows it finds are not yet all-visible, so they are read from
-- the heap anyway, and a narrower index is cheaper to write for every posting.
CREATE INDEX postings_account_txid ON postings (account_id, txid);
