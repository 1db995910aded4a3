-- An event announced once per fact rather than once per state change (a payment that arrived
-- after settlement) carries the fact's key. The unique index makes writing the same fact again
-- a no-op in PostgreSQL itself, whichever process, retry or re-mining of the transaction
-- writes it, and however many at once.
ALTER TABLE events ADD COLUMN once_key text;
CREATE UNIQUE INDEX events_once_key ON events (once_key) WHERE once_key IS NOT NULL;
