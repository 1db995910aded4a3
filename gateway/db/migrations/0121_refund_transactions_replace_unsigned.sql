-- An offline Solana transaction whose blockhash expired before the operator signed it is
-- `replaced` by a newly built one (gateway/refunds/sending/sender.py). 0095 allowed unsigned
-- bytes only in `built`, so that replacement was refused by the database and the refund was
-- stuck: a `replaced` row may now be unsigned (it never had a signature) or signed (a Solana
-- transaction whose signature the cluster never saw); every other status is signed.
DO $$
DECLARE
    found text;
BEGIN
    SELECT conname INTO found FROM pg_constraint
     WHERE conrelid = 'refund_transactions'::regclass AND contype = 'c'
       AND pg_get_constraintdef(oid) LIKE '%status = ''built''::text) = (signed_tx IS NULL)%';
    IF found IS NULL THEN
        RAISE EXCEPTION 'refund_transactions: the built/signed_tx check of 0095 is missing';
    END IF;
    EXECUTE format('ALTER TABLE refund_transactions DROP CONSTRAINT %I', found);
END
$$;
ALTER TABLE refund_transactions
    ADD CONSTRAINT refund_transactions_built_unsigned
        CHECK (status <> 'built' OR signed_tx IS NULL),
    ADD CONSTRAINT refund_transactions_sent_signed
        CHECK (status IN ('built', 'replaced') OR signed_tx IS NOT NULL);
