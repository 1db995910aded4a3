-- The operator's exceptions queue (gateway.admin.exceptions): every payment that reached us
-- and is not part of a sale. Besides the unmatched ones (view unmatched_payments), credits on
-- an invoice that expired, went invalid or was cancelled stay `credited` and unbooked: they
-- are stranded and listed here too. Each row's value is at the invoice's locked rate for its
-- asset (NULL when there is none: no invoice, or an asset the invoice did not offer).
CREATE VIEW exception_payments AS
SELECT t.id, t.chain, t.asset, t.to_address, t.amount, t.tx_hash, t.invoice_id,
       t.status, t.disposition, t.detected_at, i.status AS invoice_status,
       CASE WHEN t.invoice_id IS NULL OR t.disposition = 'unmatched' THEN 'unmatched'
            WHEN t.disposition = 'wrong_asset' THEN 'wrong_asset'
            WHEN t.disposition = 'unapplied' AND i.status = 'settled' THEN 'after_settlement'
            WHEN t.disposition = 'unapplied' THEN 'unapplied'
            ELSE 'stranded' END AS kind,
       CASE WHEN t.disposition = 'credited' THEN t.value_tiyn
            WHEN o.rate IS NOT NULL
            THEN floor(t.amount * o.rate * 100 / (10::numeric ^ o.decimals))::bigint
       END AS value_tiyn,
       r.action AS decision
  FROM chain_transfers t
  LEFT JOIN invoices i ON i.id = t.invoice_id
  LEFT JOIN invoice_payment_options o ON o.invoice_id = t.invoice_id AND o.asset = t.asset
  LEFT JOIN unmatched_payment_resolutions r ON r.transfer_id = t.id::text
 WHERE t.status <> 'removed'
   AND (t.disposition IN ('wrong_asset', 'unapplied', 'unmatched')
        OR (t.disposition = 'credited' AND i.status IN ('expired', 'invalid', 'cancelled')));

-- Overpaid settled invoices (the excess is refundable): a small partial index for the queue.
CREATE INDEX invoices_overpaid ON invoices (status_changed_at)
    WHERE status = 'settled' AND amount_paid > amount;
