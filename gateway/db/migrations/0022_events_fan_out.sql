-- Webhook deliveries are written by the delivery worker from the committed event (fan-out),
-- no longer inside the transaction that writes the event: a merchant with many endpoints
-- would otherwise lengthen every chain watcher and invoice-create transaction.
-- `fan_out_pending` marks the events whose deliveries are still to be written. Existing events
-- already have theirs: the column is added as false (no table rewrite), then new events
-- default to true.
ALTER TABLE events ADD COLUMN fan_out_pending boolean NOT NULL DEFAULT false;
ALTER TABLE events ALTER COLUMN fan_out_pending SET DEFAULT true;
-- Pending events, oldest first; rows leave this index as soon as a worker fans them out.
CREATE INDEX events_fan_out_pending ON events (created_at) WHERE fan_out_pending;
