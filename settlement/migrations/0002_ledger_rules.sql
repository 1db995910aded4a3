-- The ledger's rules, enforced by PostgreSQL so that no code path or hand-written SQL can
-- break the books. Errors carry SQLSTATEs of our own class LG (mapped in settlement.ledger):
--   LG001 unbalanced or empty entry        LG002 change to an append-only row
--   LG003 posting currency != account's    LG004 posting added to an entry committed earlier
--   LG005 posting to an unknown account    LG006 account code/currency/kind changed

-- Every currency of an entry must have equal debits and credits.
CREATE FUNCTION ledger_assert_balanced(p_entry_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    bad_currency text;
BEGIN
    SELECT p.currency INTO bad_currency
      FROM postings p
     WHERE p.entry_id = p_entry_id
     GROUP BY p.currency
    HAVING sum(CASE p.direction WHEN 'debit' THEN p.amount ELSE -p.amount END) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'journal entry % is unbalanced in %', p_entry_id, bad_currency
            USING ERRCODE = 'LG001';
    END IF;
END $$;

-- Entries: stamped with their transaction; checked at commit (deferred) so that the entry
-- and its postings can be inserted by separate statements of one transaction.
CREATE FUNCTION ledger_entry_stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.txid := pg_current_xact_id();
    NEW.created_at := now();
    RETURN NEW;
END $$;

CREATE FUNCTION ledger_entry_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM postings WHERE entry_id = NEW.id) THEN
        RAISE EXCEPTION 'journal entry % has no postings', NEW.id USING ERRCODE = 'LG001';
    END IF;
    PERFORM ledger_assert_balanced(NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER journal_entries_stamp BEFORE INSERT ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_stamp();
CREATE CONSTRAINT TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_check();

-- Postings: the account must exist and share the posting's currency; the entry must belong
-- to this transaction (a committed entry is closed). txid and created_at are stamped here
-- so that snapshots and as-of reads can trust them.
CREATE FUNCTION ledger_posting_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    account_currency text;
    entry_txid xid8;
BEGIN
    SELECT currency INTO account_currency FROM ledger_accounts WHERE id = NEW.account_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'posting to unknown account id %', NEW.account_id
            USING ERRCODE = 'LG005';
    END IF;
    IF account_currency <> NEW.currency THEN
        RAISE EXCEPTION 'posting in % to account % kept in %',
            NEW.currency, NEW.account_id, account_currency USING ERRCODE = 'LG003';
    END IF;
    -- An entry not visible here is checked by the foreign key at the end of the statement.
    SELECT txid INTO entry_txid FROM journal_entries WHERE id = NEW.entry_id;
    IF FOUND AND entry_txid <> pg_current_xact_id() THEN
        RAISE EXCEPTION 'journal entry % was committed earlier; post a new entry',
            NEW.entry_id USING ERRCODE = 'LG004';
    END IF;
    NEW.txid := pg_current_xact_id();
    NEW.created_at := now();
    RETURN NEW;
END $$;

-- Re-checks the posting's entry at commit: closes the gap where SET CONSTRAINTS ... IMMEDIATE
-- checks an entry early and more postings are added to it afterwards.
CREATE FUNCTION ledger_posting_entry_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger_assert_balanced(NEW.entry_id);
    RETURN NULL;
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
