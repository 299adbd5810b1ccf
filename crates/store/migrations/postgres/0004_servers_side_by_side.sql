-- What several servers on one database need.
--
-- 1. Every write to data an answer can depend on tells every listening server, so that each
--    drops the answers it keeps (`LISTEN embudo_changed`; the payload is the table's name).
--    A statement-level trigger costs one call per statement, not per row, and PostgreSQL
--    sends one notice per table per transaction, at commit. Logs that no answer reads —
--    sessions, failed logins, users' events, deliveries — do not notify: a login on one
--    server must not empty every server's answers. A table added by a later migration gets
--    its trigger there.
CREATE FUNCTION embudo_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('embudo_changed', TG_TABLE_NAME);
    RETURN NULL;
END $$;

DO $$
DECLARE
    name TEXT;
BEGIN
    FOR name IN
        SELECT tablename FROM pg_tables
         WHERE schemaname = current_schema()
           AND tablename NOT IN ('schema_migrations', 'access_sessions', 'access_login_failures',
                                 'user_events', 'deliveries')
    LOOP
        EXECUTE format(
            'CREATE TRIGGER embudo_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
               FOR EACH STATEMENT EXECUTE FUNCTION embudo_notify_change()',
            name);
    END LOOP;
END $$;

-- 2. Whether a text reads as a value of a column's type (DuckDB's `TRY_CAST(… AS type) IS
--    NOT NULL`), for the API's check of a record's fields before it writes them. The type
--    name comes from the store's own catalogue, the value is quoted as a literal.
CREATE FUNCTION embudo_casts_to(value TEXT, data_type TEXT) RETURNS BOOLEAN
LANGUAGE plpgsql STABLE AS $$
BEGIN
    EXECUTE format('SELECT CAST(%L AS %s)', value, data_type);
    RETURN TRUE;
EXCEPTION WHEN others THEN
    RETURN FALSE;
END $$;

-- 3. DuckDB's `json_merge_patch` (RFC 7396: objects merge key by key, recursively; a null
--    removes its key; anything else replaces), for what an import keeps of references it
--    could not resolve.
CREATE FUNCTION embudo_json_merge_patch(target JSONB, patch JSONB) RETURNS JSONB
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    merged JSONB;
    member RECORD;
BEGIN
    IF patch IS NULL OR jsonb_typeof(patch) <> 'object' THEN
        RETURN patch;
    END IF;
    merged := CASE WHEN jsonb_typeof(target) = 'object' THEN target ELSE '{}'::JSONB END;
    FOR member IN SELECT key, value FROM jsonb_each(patch) LOOP
        IF jsonb_typeof(member.value) = 'null' THEN
            merged := merged - member.key;
        ELSE
            merged := jsonb_set(merged, ARRAY[member.key],
                                embudo_json_merge_patch(merged -> member.key, member.value));
        END IF;
    END LOOP;
    RETURN merged;
END $$;
