-- Why a refund the sender owns is not moving (gateway/refunds/sending, issue 12 leftovers).
--
-- A refund stays `sending` while its hot wallet cannot pay it (the native coin for the fee,
-- or the token): the operator must see that, and the sender must not hammer the node.
--   pending_reason   'insufficient_funds' while the wallet is short (the API's
--                    `pending_reason`, as Stripe's Refund has it); NULL when nothing blocks it
--   pending_detail   what is missing, for the operator (the console)
--   pending_since    when the current reason began (REFUND_UNDERFUNDED_FAIL_AFTER counts
--                    from here)
--   pending_checks   checks in a row that found the same reason (the backoff's attempt)
--   next_check_at    the sender leaves the refund alone until then (backoff)
ALTER TABLE refunds
    ADD COLUMN pending_reason text CHECK (pending_reason IN ('insufficient_funds')),
    ADD COLUMN pending_detail text CHECK (length(pending_detail) <= 500),
    ADD COLUMN pending_since  timestamptz,
    ADD COLUMN pending_checks integer NOT NULL DEFAULT 0 CHECK (pending_checks >= 0),
    ADD COLUMN next_check_at  timestamptz,
    ADD CHECK ((pending_reason IS NULL) = (pending_since IS NULL));
