-- A prefecture's ingest of the counties' ADX roll-ups (recognised by the
-- ADX namespace and validated against the XSD before they get here): same
-- document SHA-256 → duplicate; a newer export of the same county and
-- period supersedes the older one, which stays stored (history). Which
-- roll-up counts is decided when ranking (report.county_figures).

-- Stores one roll-up. groups: a JSON array of objects with the columns of
-- facts.rollup_group (without rollup_id). Returns 'accepted', 'duplicate'
-- (same county and document SHA-256) or 'unknown_county'.
CREATE FUNCTION load.merge_rollup(county_code text, county_name text, period text, as_of date,
                                  exported_at timestamptz, doc_sha256 text, file_sha256 text,
                                  member text, received_at timestamptz, groups jsonb)
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rid bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ref.county c WHERE c.code = $1 AND c.active) THEN
        RETURN 'unknown_county';
    END IF;
    -- serialize loads of one county, as the township loads are
    PERFORM pg_advisory_xact_lock(hashtext('bizenv rollup ' || $1));
    IF EXISTS (SELECT 1 FROM facts.rollup r WHERE r.county_code = $1 AND r.doc_sha256 = $6) THEN
        RETURN 'duplicate';
    END IF;
    INSERT INTO facts.rollup (county_code, county_name_given, period, as_of, exported_at,
                              doc_sha256, file_sha256, member, received_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    RETURNING id INTO rid;
    INSERT INTO facts.rollup_group
    SELECT rid, g.township_code, g.township_name, g.first_day, g.months, g.handled, g.evaluated,
           g.due, g.done, g.windows_listed, g.windows_walked, g.leaders_listed, g.leaders_walked,
           g.months_expected, g.months_reported, g.months_on_time
    FROM jsonb_to_recordset($10) AS g(township_code text, township_name text, first_day date,
        months int, handled bigint, evaluated bigint, due bigint, done bigint,
        windows_listed bigint, windows_walked bigint, leaders_listed bigint,
        leaders_walked bigint, months_expected int, months_reported int, months_on_time int);
    RETURN 'accepted';
END
$$;

GRANT EXECUTE ON FUNCTION load.merge_rollup(text, text, text, date, timestamptz, text, text, text,
                                            timestamptz, jsonb)
    TO bizenv_loader;
