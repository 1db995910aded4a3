-- Test mode (issue 13, gateway/portal): `ccp_test_` API keys create test invoices that the
-- devnets (or test networks) pay; they carry `livemode = false`, and the lifecycle never
-- books them, so they never reach the ledger, settlement batches, payouts or zone reports.
-- Existing keys and invoices are live.
ALTER TABLE api_keys ADD COLUMN livemode boolean NOT NULL DEFAULT true;
ALTER TABLE invoices ADD COLUMN livemode boolean NOT NULL DEFAULT true;
