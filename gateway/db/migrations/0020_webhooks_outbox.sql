-- Webhooks: the events outbox, merchants' endpoints, deliveries and their attempt log.
-- `events` has no foreign keys to invoices or merchants on purpose: it is written in the
-- caller's transaction by whatever domain changes state, and must not depend on the order in
-- which the other domains' tables are created.

CREATE TABLE events (
    id          text PRIMARY KEY,
    merchant_id text NOT NULL,
    type        text NOT NULL,
    api_version text NOT NULL,
    invoice_id  text,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- Listing a merchant's events newest first with (created_at, id) cursors.
CREATE INDEX events_merchant_created ON events (merchant_id, created_at DESC, id DESC);
-- Replaying one invoice's events after a Last-Event-ID and filtering by invoice.
CREATE INDEX events_invoice_created ON events (invoice_id, created_at, id)
    WHERE invoice_id IS NOT NULL;

CREATE TABLE webhook_endpoints (
    id             text PRIMARY KEY,
    merchant_id    text NOT NULL,
    url            text NOT NULL,
    description    text NOT NULL DEFAULT '',
    enabled_events text[] NOT NULL CHECK (cardinality(enabled_events) > 0),
    secret         text NOT NULL,
    status         text NOT NULL DEFAULT 'enabled'
                   CHECK (status IN ('enabled', 'disabled', 'deleted')),
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    deleted_at     timestamptz,
    CHECK ((status = 'deleted') = (deleted_at IS NOT NULL))
);
CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (merchant_id, created_at DESC, id DESC)
    WHERE status <> 'deleted';

-- One row per (event, endpoint) to deliver. `next_attempt_at` doubles as the claim lease: a
-- worker that claims a row pushes it past the HTTP timeout, so no other worker takes it while
-- the attempt is in flight; `claim_token` guards the final update of that attempt.
CREATE TABLE webhook_deliveries (
    id              text PRIMARY KEY,
    event_id        text NOT NULL REFERENCES events (id),
    endpoint_id     text NOT NULL REFERENCES webhook_endpoints (id),
    merchant_id     text NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempt_count   integer NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    claim_token     text,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at     timestamptz,
    CHECK ((status IN ('delivered', 'failed', 'cancelled')) = (finished_at IS NOT NULL))
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id, created_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id)
    WHERE status = 'pending';

-- The delivery log: one row per HTTP attempt.
CREATE TABLE webhook_delivery_attempts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id      text NOT NULL REFERENCES webhook_deliveries (id),
    attempt          integer NOT NULL CHECK (attempt >= 1),
    started_at       timestamptz NOT NULL,
    duration_ms      integer NOT NULL CHECK (duration_ms >= 0),
    status_code      integer,
    succeeded        boolean NOT NULL,
    error            text,
    response_excerpt text NOT NULL DEFAULT '',
    UNIQUE (delivery_id, attempt)
);
