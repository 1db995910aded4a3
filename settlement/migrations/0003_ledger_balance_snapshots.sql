-- Balance snapshots: per account, the debit and credit totals of every posting whose
-- transaction id is below `horizon`. The horizon is the xmin of the snapshot that summed them,
-- so every transaction below it had finished: no posting can later appear below the horizon.
-- A balance is the latest snapshot plus the postings at or above its horizon. See docs/ledger.md.

CREATE TABLE account_balance_snapshots (
    account_id     bigint NOT NULL,
    horizon        xid8 NOT NULL,
    debits         numeric NOT NULL CHECK (debits >= 0),
    credits        numeric NOT NULL CHECK (credits >= 0),
    postings_count bigint NOT NULL CHECK (postings_count >= 0),
    -- Later than the start of every transaction summed (clock time after its commit).
    taken_at       timestamptz NOT NULL,
    PRIMARY KEY (account_id, horizon)
);

CREATE INDEX account_balance_snapshots_taken ON account_balance_snapshots (account_id, taken_at);

-- Snapshots are derived data and may be pruned (DELETE), but never edited.
CREATE TRIGGER account_balance_snapshots_no_update BEFORE UPDATE ON account_balance_snapshots
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
