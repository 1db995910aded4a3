-- The hosts an invoice's redirect_url may point to (gateway/invoices/redirects.py): exact host
-- names, or `*.example.kz` for any subdomain. NULL: none configured (refused outside dev).
ALTER TABLE merchants ADD COLUMN redirect_domains text[]
    CHECK (redirect_domains IS NULL OR cardinality(redirect_domains) <= 20);
