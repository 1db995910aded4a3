-- Idempotency keys are scoped per mode as well as per merchant (issue 13, test mode): the
-- same Idempotency-Key sent with a ccp_test_ key and with a ccp_live_ key is two requests.
-- Existing keys were all saved by live requests (the default); they expire within 24 h anyway.
ALTER TABLE idempotency_keys ADD COLUMN livemode boolean NOT NULL DEFAULT true;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey,
    ADD PRIMARY KEY (merchant_id, livemode, key);

DROP FUNCTION idempotency_claim(text, text, interval);

-- As in 0012, with the mode in the lock and in the lookup.
CREATE FUNCTION idempotency_claim(p_merchant text, p_livemode boolean, p_key text,
                                  p_ttl interval)
RETURNS TABLE (locked boolean, request_hash bytea, response_status integer,
               response_body bytea, content_type text)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock(
            1128482881, hashtext(p_merchant || '/' || p_livemode::text || '/' || p_key)) THEN
        RETURN QUERY SELECT false, NULL::bytea, NULL::integer, NULL::bytea, NULL::text;
        RETURN;
    END IF;
    RETURN QUERY
        SELECT true, k.request_hash, k.response_status, k.response_body, k.content_type
        FROM idempotency_keys k
        WHERE k.merchant_id = p_merchant AND k.livemode = p_livemode AND k.key = p_key
          AND k.created_at > now() - p_ttl;
    IF NOT FOUND THEN
        RETURN QUERY SELECT true, NULL::bytea, NULL::integer, NULL::bytea, NULL::text;
    END IF;
END
$$;
