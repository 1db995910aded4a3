-- A merchant's own invoice terms (issue 13 portal settings page; written by gateway.merchants):
-- accepted assets (a subset of the zone's enabled ones), default expiry, payment tolerance and
-- late-payment window. NULL keeps the zone default (INVOICE_* settings). They travel with the
-- API key's principal, like redirect_domains.
ALTER TABLE merchants
    ADD COLUMN accepted_assets    text[] CHECK (cardinality(accepted_assets) > 0),
    ADD COLUMN default_expires_in integer CHECK (default_expires_in >= 60),
    ADD COLUMN tolerance_bps      integer CHECK (tolerance_bps BETWEEN 0 AND 10000),
    ADD COLUMN tolerance_tiyn     bigint CHECK (tolerance_tiyn >= 0),
    ADD COLUMN late_accept_window integer CHECK (late_accept_window >= 0);
