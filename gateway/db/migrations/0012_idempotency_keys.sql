-- Stripe-style idempotency keys: the first successful response to a POST, per merchant, 24 h.
CREATE TABLE idempotency_keys (
    -- No foreign key: the merchant comes from an authenticated key, and a FK check would take
    -- a KEY SHARE lock on the merchant row in every POST (MultiXact churn on a hot row).
    merchant_id     text NOT NULL,
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    -- sha256 of method, path and the canonical JSON body: a reused key must send the same.
    request_hash    bytea NOT NULL,
    response_status integer NOT NULL,
    response_body   bytea NOT NULL,
    content_type    text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (merchant_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Claim a key for this transaction: a transaction-scoped advisory lock on (merchant, key) marks
-- the request in flight (a concurrent twin gets locked = false -> 409), then the saved response,
-- if any, is read. PL/pgSQL takes a fresh snapshot per statement, so the SELECT runs after the
-- lock is held and sees a twin that committed just before; one round trip does both.
CREATE FUNCTION idempotency_claim(p_merchant text, p_key text, p_ttl interval)
RETURNS TABLE (locked boolean, request_hash bytea, response_status integer,
               response_body bytea, content_type text)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    -- Two-int form: a key space of its own (class 0x43435041 "CCPA"), apart from bigint locks.
    IF NOT pg_try_advisory_xact_lock(1128482881, hashtext(p_merchant || '/' || p_key)) THEN
        RETURN QUERY SELECT false, NULL::bytea, NULL::integer, NULL::bytea, NULL::text;
        RETURN;
    END IF;
    RETURN QUERY
        SELECT true, k.request_hash, k.response_status, k.response_body, k.content_type
        FROM idempotency_keys k
        WHERE k.merchant_id = p_merchant AND k.key = p_key AND k.created_at > now() - p_ttl;
    IF NOT FOUND THEN
        RETURN QUERY SELECT true, NULL::bytea, NULL::integer, NULL::bytea, NULL::text;
    END IF;
END
$$;
