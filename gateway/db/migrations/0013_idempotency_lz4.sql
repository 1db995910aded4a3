-- Saved responses are a few KB of JSON each (an invoice object is ~5 KB), so every idempotent
-- POST compresses one on insert; with pglz that was ~10 % of the invoice-create statement's
-- CPU. lz4 is several times cheaper. Only servers built with lz4 support it, so the change is
-- conditional; existing values keep their compression (new values use lz4).
DO $$
BEGIN
    IF 'lz4' = ANY (SELECT unnest(enumvals) FROM pg_settings
                    WHERE name = 'default_toast_compression') THEN
        ALTER TABLE idempotency_keys ALTER COLUMN response_body SET COMPRESSION lz4;
    END IF;
END
$$;
