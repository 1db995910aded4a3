-- Indexes for the console's invoice search across all merchants (the merchant API's own
-- indexes all start with merchant_id). Newest-first listing with (created_at, id) cursors,
-- and lookups by order id, which operators get from shoppers over the phone.
CREATE INDEX admin_invoices_created ON invoices (created_at DESC, id DESC);
CREATE INDEX admin_invoices_order ON invoices (order_id) WHERE order_id IS NOT NULL;
