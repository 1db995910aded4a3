-- Event data is the full API object (an invoice is ~5 KB of JSON), compressed on every event
-- insert; lz4 costs several times less CPU than pglz on this hot path (invoice creation).
-- Conditional: only servers built with lz4 support it. Existing values keep their compression.
DO $$
BEGIN
    IF 'lz4' = ANY (SELECT unnest(enumvals) FROM pg_settings
                    WHERE name = 'default_toast_compression') THEN
        ALTER TABLE events ALTER COLUMN data SET COMPRESSION lz4;
    END IF;
END
$$;
