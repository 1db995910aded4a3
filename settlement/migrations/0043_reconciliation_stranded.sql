-- Money that reached an invoice of ours and is not booked (credited to an invoice that then
-- expired, went invalid or was cancelled; dust) is a reconciliation item of its own kind, so
-- a run cannot be "balanced" while any of it is unexplained.
ALTER TABLE reconciliation_items
    DROP CONSTRAINT reconciliation_items_kind_check,
    ADD CONSTRAINT reconciliation_items_kind_check CHECK (kind IN
        ('custody', 'address', 'trial_balance', 'unmatched_payment', 'stranded_payment',
         'fetch_error'));
