-- DuckDB's TRY_CAST for the types the forecast reads back from `deal_changes` (values kept
-- as text): the value, or NULL where the text does not read as one.

CREATE FUNCTION embudo_try_date(value TEXT) RETURNS DATE
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN value::DATE;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

CREATE FUNCTION embudo_try_bigint(value TEXT) RETURNS BIGINT
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN value::BIGINT;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

CREATE FUNCTION embudo_try_double(value TEXT) RETURNS DOUBLE PRECISION
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN value::DOUBLE PRECISION;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;
