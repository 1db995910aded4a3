-- The ledger's rules, enforced by PostgreSQL so that no code path or hand-written SQL can
-- break the books. Errors carry SQLSTATEs of our own class LG (mapped in settlement.ledger):
--   LG001 unbalanced or empty entry        LG002 change to an append-only row
--   LG003 posting currency != account's    LG004 posting to an entry not open in this transaction
--   LG005 posting to an unknown account    LG006 account code/currency/kind changed
--
-- Known gap, by choice: the balance check runs once per entry. A session that forces it
-- early with SET CONSTRAINTS ... IMMEDIATE and then adds postings to the same entry in the
-- same transaction is not re-checked; a per-posting deferred re-check closes that but cost
-- about a quarter of the write throughput. (Deliberate bypasses are possible for the table
-- owner anyway, e.g. ALTER TABLE ... DISABLE TRIGGER.)

-- Entries: stamped with their transaction; checked at commit (deferred) so that the entry
-- and its postings can be inserted by separate statements of one transaction.
CREATE FUNCTION ledger_entry_stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.txid := pg_current_xact_id();
    NEW.created_at := now();
    RETURN NEW;
END $$;

-- One query for both rules (each query from PL/pgSQL has a fixed cost, paid per entry).
CREATE FUNCTION ledger_entry_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    currencies bigint;
    bad_currency text;
BEGIN
    SELECT count(*), min(t.currency) FILTER (WHERE t.net <> 0)
      INTO currencies, bad_currency
      FROM (SELECT p.currency,
                   sum(CASE p.direction WHEN 'debit' THEN p.amount ELSE -p.amount END) AS net
              FROM postings p
             WHERE p.entry_id = NEW.id
             GROUP BY p.currency) t;
    IF currencies = 0 THEN
        RAISE EXCEPTION 'journal entry % has no postings', NEW.id USING ERRCODE = 'LG001';
    END IF;
    IF bad_currency IS NOT NULL THEN
        RAISE EXCEPTION 'journal entry % is unbalanced in %', NEW.id, bad_currency
            USING ERRCODE = 'LG001';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER journal_entries_stamp BEFORE INSERT ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_stamp();
CREATE CONSTRAINT TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_check();

-- Postings: the account must exist and share the posting's currency; the entry must exist
-- and belong to this transaction (a committed entry is closed). txid and created_at are
-- stamped here so that snapshots and as-of reads can trust them.
CREATE FUNCTION ledger_posting_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    account_currency text;
    entry_txid xid8;
BEGIN
    -- Both primary-key lookups in one query: this runs for every posting.
    -- The entry row is visible even when a CTE of the same statement inserted it: a row
    -- trigger's queries see the rows its outer command has already written.
    SELECT (SELECT currency FROM ledger_accounts WHERE id = NEW.account_id),
           (SELECT txid FROM journal_entries WHERE id = NEW.entry_id)
      INTO account_currency, entry_txid;
    IF account_currency IS NULL THEN
        RAISE EXCEPTION 'posting to unknown account id %', NEW.account_id
            USING ERRCODE = 'LG005';
    END IF;
    IF account_currency <> NEW.currency THEN
        RAISE EXCEPTION 'posting in % to account % kept in %',
            NEW.currency, NEW.account_id, account_currency USING ERRCODE = 'LG003';
    END IF;
    IF entry_txid IS NULL THEN
        RAISE EXCEPTION 'posting to unknown journal entry %', NEW.entry_id
            USING ERRCODE = 'LG004';
    END IF;
    IF entry_txid <> pg_current_xact_id() THEN
        RAISE EXCEPTION 'journal entry % was committed earlier; post a new entry',
            NEW.entry_id USING ERRCODE = 'LG004';
    END IF;
    NEW.txid := pg_current_xact_id();
    NEW.created_at := now();
    RETURN NEW;
END $$;

CREATE TRIGGER postings_check BEFORE INSERT ON postings
    FOR EACH ROW EXECUTE FUNCTION ledger_posting_check();

-- Append-only: no UPDATE, DELETE or TRUNCATE of the journal; corrections are reversals.
CREATE FUNCTION ledger_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: the journal is append-only, post a reversal',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'LG002';
END $$;

CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- Accounts: code, currency and kind are fixed (balances and their sign depend on them); an
-- account with postings cannot be deleted (postings.account_id has no foreign key, see 0001).
CREATE FUNCTION ledger_account_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT 1 FROM postings WHERE account_id = OLD.id) THEN
            RAISE EXCEPTION 'account % has postings and cannot be deleted', OLD.code
                USING ERRCODE = 'LG002';
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.code IS DISTINCT FROM OLD.code OR NEW.currency IS DISTINCT FROM OLD.currency
       OR NEW.kind IS DISTINCT FROM OLD.kind OR NEW.id IS DISTINCT FROM OLD.id THEN
        RAISE EXCEPTION 'account % cannot change its id, code, currency or kind', OLD.code
            USING ERRCODE = 'LG006';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER ledger_accounts_guard BEFORE UPDATE OR DELETE ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_account_guard();
CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
