-- Merchants and their API keys (gateway/merchants).
CREATE TABLE merchants (
    id          text PRIMARY KEY CHECK (id ~ '^mch_[A-Za-z0-9]{8,64}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    bin         text NOT NULL CHECK (bin ~ '^[0-9]{12}$'),
    iban        text NOT NULL CHECK (iban ~ '^KZ[0-9]{2}[0-9A-Z]{16}$'),
    bic         text CHECK (bic ~ '^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$'),
    -- Fee: basis points of the invoice amount plus an optional fixed part in tiyn.
    fee_bps     integer NOT NULL DEFAULT 100 CHECK (fee_bps BETWEEN 0 AND 10000),
    fee_fixed   bigint NOT NULL DEFAULT 0 CHECK (fee_fixed >= 0),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    is_demo     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- `make run` seeds exactly one demo merchant and finds it again on the next start.
CREATE UNIQUE INDEX merchants_one_demo ON merchants (is_demo) WHERE is_demo;
CREATE INDEX merchants_created ON merchants (created_at, id);

CREATE TABLE api_keys (
    id          text PRIMARY KEY CHECK (id ~ '^key_[A-Za-z0-9]{8,64}$'),
    merchant_id text NOT NULL REFERENCES merchants (id),
    -- HMAC-SHA256(pepper, key): the key itself is never stored (shown once at creation).
    key_hash    bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    prefix      text NOT NULL,
    last4       text NOT NULL CHECK (length(last4) = 4),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX api_keys_merchant ON api_keys (merchant_id);
