-- Four-eyes for money leaving (gateway/admin/approvals): changing a merchant's payout account,
-- exporting a payout file and marking a batch paid are stored here as pending requests and
-- happen only when a second administrator approves. The request keeps what is asked
-- (`payload`) and the record as it was (`before`); the decision keeps who took it and what
-- it did (`result`). The requester can never decide their own request (CHECK below).
CREATE TABLE admin_approvals (
    id              text PRIMARY KEY CHECK (id ~ '^apr_[A-Za-z0-9]{8,64}$'),
    kind            text NOT NULL CHECK (kind IN ('merchant.payout_account',
                                                  'payout_file.export', 'batch.mark_paid')),
    target_type     text NOT NULL,
    target_id       text NOT NULL,
    payload         jsonb NOT NULL,
    before          jsonb,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'approved', 'rejected')),
    -- NULL: the command line (actor `cli`), which any administrator may approve.
    requested_by    text REFERENCES admin_users (id),
    requested_name  text NOT NULL CHECK (length(requested_name) BETWEEN 1 AND 100),
    requested_at    timestamptz NOT NULL DEFAULT now(),
    decided_by      text REFERENCES admin_users (id),
    decided_name    text CHECK (length(decided_name) BETWEEN 1 AND 100),
    decided_at      timestamptz,
    reason          text CHECK (length(reason) <= 500),
    result          jsonb,
    CHECK ((status = 'pending') = (decided_by IS NULL)),
    CHECK (decided_by IS DISTINCT FROM requested_by OR decided_by IS NULL)
);
CREATE INDEX admin_approvals_pending ON admin_approvals (requested_at) WHERE status = 'pending';
-- One pending request per target and kind: a second request waits for the first's decision.
CREATE UNIQUE INDEX admin_approvals_one_pending ON admin_approvals (kind, target_id)
    WHERE status = 'pending';
