-- Events and webhook endpoints are per mode (issue 13, test mode), as invoices and refunds are.
-- An event's mode is the mode of the object it is about: every event's data is an invoice or a
-- refund object, and both carry `livemode`; so the column is derived from the data and no
-- writer can get it wrong (events of existing test invoices come out as test events).
-- A stored generated column rewrites `events` once, under its exclusive lock: on a large
-- outbox, run this migration in a quiet window.
ALTER TABLE events ADD COLUMN livemode boolean NOT NULL
    GENERATED ALWAYS AS (COALESCE((data ->> 'livemode')::boolean, true)) STORED;
-- Endpoints made so far are live (test-mode endpoints did not exist). A test event is
-- delivered only to test endpoints and a live event only to live ones.
ALTER TABLE webhook_endpoints ADD COLUMN livemode boolean NOT NULL DEFAULT true;
