-- Invoices and their locked quotes, one per offered asset (gateway/invoices).

-- BIP-44 address index m/44'/60'/0'/0/i of each invoice's BNB Chain deposit address. A
-- sequence never hands out a value twice, even when the inserting transaction rolls back, so
-- a deposit address is never reused (gaps are harmless). Non-hardened indexes stop at 2^31-1.
CREATE SEQUENCE bsc_address_index_seq AS integer MINVALUE 0 MAXVALUE 2147483647 START 0 NO CYCLE;

CREATE TABLE invoices (
    id                  text PRIMARY KEY CHECK (id ~ '^inv_[A-Za-z0-9]{8,64}$'),
    merchant_id         text NOT NULL REFERENCES merchants (id),
    status              text NOT NULL DEFAULT 'new' CHECK (status IN
                            ('new', 'processing', 'settled', 'expired', 'invalid', 'cancelled')),
    exception           text CHECK (exception IN
                            ('paid_partial', 'paid_over', 'paid_late', 'marked')),
    amount              bigint NOT NULL CHECK (amount > 0),            -- tiyn
    currency            text NOT NULL DEFAULT 'KZT' CHECK (currency = 'KZT'),
    -- KZT equivalent (tiyn) of what arrived, valued at the quotes locked below.
    amount_paid         bigint NOT NULL DEFAULT 0 CHECK (amount_paid >= 0),
    order_id            text CHECK (length(order_id) <= 200),
    description         text CHECK (length(description) <= 1000),
    metadata            jsonb NOT NULL DEFAULT '{}'::jsonb,
    redirect_url        text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    expires_at          timestamptz NOT NULL,
    -- After expiry, payments are still watched this long (then processing -> invalid).
    monitoring_window   interval NOT NULL,
    -- A payment arriving this long after expiry is accepted automatically (0 = never).
    late_accept_window  interval NOT NULL DEFAULT '0',
    tolerance_bps       integer NOT NULL DEFAULT 0 CHECK (tolerance_bps BETWEEN 0 AND 10000),
    tolerance_tiyn      bigint NOT NULL DEFAULT 0 CHECK (tolerance_tiyn >= 0),
    -- Unique: no two invoices ever share a deposit address. The index itself needs no unique
    -- index of its own: it comes from a sequence, and the address is a function of it.
    bsc_address         text UNIQUE,
    bsc_address_index   integer,
    solana_reference    text UNIQUE,
    solana_recipient    text,           -- the treasury the Solana options pay (locked here)
    -- Public, unguessable name of this invoice's QR images (/qr/<token>/<asset>.svg|.png).
    -- One per invoice, not per option: one index entry per invoice on the create path.
    qr_token            text NOT NULL UNIQUE,
    status_changed_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (expires_at > created_at),
    CHECK ((bsc_address IS NULL) = (bsc_address_index IS NULL)),
    CHECK ((solana_reference IS NULL) = (solana_recipient IS NULL))
);
CREATE INDEX invoices_merchant_created ON invoices (merchant_id, created_at DESC, id DESC);
CREATE INDEX invoices_merchant_order ON invoices (merchant_id, order_id) WHERE order_id IS NOT NULL;
-- Expiry sweeps and watchers read only the open invoices.
CREATE INDEX invoices_open_expiry ON invoices (expires_at) WHERE status IN ('new', 'processing');

CREATE TABLE invoice_payment_options (
    invoice_id       text NOT NULL REFERENCES invoices (id),
    asset            text NOT NULL CHECK (asset IN
                         ('BNB', 'USDT_BSC', 'USDC_BSC', 'SOL', 'USDT_SOL', 'USDC_SOL', 'KZTE')),
    position         smallint NOT NULL,
    chain            text NOT NULL CHECK (chain IN ('bsc', 'solana')),
    symbol           text NOT NULL,
    token            text,          -- BEP-20 contract or SPL mint; NULL for BNB and SOL
    decimals         smallint NOT NULL CHECK (decimals BETWEEN 0 AND 36),
    amount_units     numeric(78, 0) NOT NULL CHECK (amount_units > 0),
    rate             numeric NOT NULL CHECK (rate > 0),                -- KZT per whole unit
    rate_source      text NOT NULL,
    rate_fetched_at  timestamptz NOT NULL,
    uri              text NOT NULL,
    PRIMARY KEY (invoice_id, asset)
);
