-- Booked transfers a chain no longer has (gateway chain_vanished_transfers, recorded by
-- `chains resync`) are lines of a reconciliation run until an operator decides on them.
ALTER TABLE reconciliation_items
    DROP CONSTRAINT reconciliation_items_kind_check,
    ADD CONSTRAINT reconciliation_items_kind_check CHECK (kind IN
        ('custody', 'address', 'trial_balance', 'unmatched_payment', 'stranded_payment',
         'fetch_error', 'vanished_transfer'));
