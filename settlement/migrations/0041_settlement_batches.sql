-- Settlement batches (settlement/batches) and payout files (settlement/payouts).
-- One batch per merchant per business day (Asia/Almaty cut-off, see docs/settlement.md). Every
-- journal entry that touches a merchant's payable belongs to exactly one batch of that merchant
-- (settlement_batch_items), including the batch's own payout entry, so the payable balance is
-- always explained batch by batch. Amounts in tiyn, signed as their effect on the payable.
--   SE003 illegal batch status transition

CREATE TYPE settlement_batch_status AS ENUM
    ('open', 'closed', 'carried_forward', 'exported', 'paid', 'failed');

CREATE TABLE payout_files (
    id             text PRIMARY KEY CHECK (id ~ '^pof_[a-z0-9]{16,32}$'),
    message_id     text NOT NULL UNIQUE CHECK (length(message_id) BETWEEN 1 AND 35),
    execution_date date NOT NULL,
    transfer_count integer NOT NULL CHECK (transfer_count > 0),
    control_sum    bigint NOT NULL CHECK (control_sum > 0),
    sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    -- The exact bytes handed to the bank, so a lost file can be fetched again unchanged.
    document       bytea NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE settlement_batches (
    id                text PRIMARY KEY CHECK (id ~ '^stb_[a-z0-9]{16,30}$'),
    merchant_id       text NOT NULL CHECK (length(merchant_id) BETWEEN 1 AND 100),
    business_day      date NOT NULL,
    period_start      timestamptz NOT NULL,
    period_end        timestamptz NOT NULL CHECK (period_end > period_start),
    status            settlement_batch_status NOT NULL DEFAULT 'open',
    invoice_count     integer NOT NULL DEFAULT 0,
    gross             bigint NOT NULL DEFAULT 0,
    fees              bigint NOT NULL DEFAULT 0,
    refunds           bigint NOT NULL DEFAULT 0,
    adjustments       bigint NOT NULL DEFAULT 0,
    -- A negative payable left by the merchant's previous batch, netted before paying.
    carried_in        bigint NOT NULL DEFAULT 0 CHECK (carried_in <= 0),
    net               bigint NOT NULL DEFAULT 0,
    payout_amount     bigint NOT NULL DEFAULT 0 CHECK (payout_amount >= 0),
    carried_out       bigint NOT NULL DEFAULT 0 CHECK (carried_out <= 0),
    payout_entry_id   bigint REFERENCES journal_entries (id),
    paid_entry_id     bigint REFERENCES journal_entries (id),
    reversal_entry_id bigint REFERENCES journal_entries (id),
    payout_file_id    text REFERENCES payout_files (id),
    bank_reference    text CHECK (length(bank_reference) BETWEEN 1 AND 140),
    failure_reason    text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    closed_at         timestamptz,
    exported_at       timestamptz,
    paid_at           timestamptz,
    failed_at         timestamptz,
    UNIQUE (merchant_id, business_day),
    CHECK (payout_amount = 0 OR carried_out = 0)
);

CREATE INDEX settlement_batches_day ON settlement_batches (business_day, status);
CREATE INDEX settlement_batches_status ON settlement_batches (status) WHERE status <> 'paid';
CREATE INDEX settlement_batches_file ON settlement_batches (payout_file_id)
    WHERE payout_file_id IS NOT NULL;

CREATE TABLE settlement_batch_items (
    entry_id       bigint NOT NULL REFERENCES journal_entries (id),
    merchant_id    text NOT NULL,
    batch_id       text NOT NULL REFERENCES settlement_batches (id),
    kind           text NOT NULL,
    reverses_kind  text,
    invoice_id     text,
    -- Effect on the payable (credits positive) and the fee revenue booked by the same entry.
    amount         bigint NOT NULL,
    fee            bigint NOT NULL DEFAULT 0,
    entry_created_at timestamptz NOT NULL,
    PRIMARY KEY (entry_id, merchant_id)
);

CREATE INDEX settlement_batch_items_batch ON settlement_batch_items (batch_id);

-- The lifecycle, enforced here as well as in settlement.batches.states: open -> closed |
-- carried_forward; closed -> exported; exported -> paid | failed.
CREATE FUNCTION settlement_batch_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = OLD.status THEN
        IF OLD.status <> 'open' AND (NEW.net, NEW.payout_amount, NEW.payout_entry_id)
           IS DISTINCT FROM (OLD.net, OLD.payout_amount, OLD.payout_entry_id) THEN
            RAISE EXCEPTION 'batch % is % and its amounts are final', OLD.id, OLD.status
                USING ERRCODE = 'SE003';
        END IF;
        RETURN NEW;
    END IF;
    IF (OLD.status, NEW.status) IN (
        ('open', 'closed'), ('open', 'carried_forward'), ('closed', 'exported'),
        ('exported', 'paid'), ('exported', 'failed')) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'batch % cannot move from % to %', OLD.id, OLD.status, NEW.status
        USING ERRCODE = 'SE003';
END $$;

CREATE TRIGGER settlement_batches_transition BEFORE UPDATE ON settlement_batches
    FOR EACH ROW EXECUTE FUNCTION settlement_batch_transition();
