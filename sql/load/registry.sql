-- The registries: a county's townships (`bizenv registry load`) and a
-- prefecture's counties (`bizenv counties load`). Rows are never deleted:
-- a township or county that leaves the registry is marked inactive, and
-- its history still ranks.

-- Merges registry file p_load_id (staging.registry) into ref.township in
-- one statement per kind; never deletes. Each township lands in exactly one
-- count: added (new code), reactivated (was inactive, listed again; its name
-- is updated too), renamed (active, new name), unchanged (active, same
-- name), inactivated (was active, no longer listed). Inactive townships
-- still missing are not counted.
CREATE FUNCTION load.merge_registry(p_load_id bigint,
                                    OUT added int, OUT renamed int, OUT inactivated int,
                                    OUT reactivated int, OUT unchanged int)
LANGUAGE plpgsql AS $$
BEGIN
    -- registry changes are rare; serialize them against each other
    PERFORM pg_advisory_xact_lock(1651079781, 0);

    SELECT count(*) FILTER (WHERE t.code IS NULL),
           count(*) FILTER (WHERE t.active AND t.name <> r.name),
           count(*) FILTER (WHERE NOT t.active),
           count(*) FILTER (WHERE t.active AND t.name = r.name)
    INTO added, renamed, reactivated, unchanged
    FROM staging.registry r LEFT JOIN ref.township t ON t.code = r.code
    WHERE r.load_id = p_load_id;

    INSERT INTO ref.township (code, name)
    SELECT r.code, r.name FROM staging.registry r
    WHERE r.load_id = p_load_id
      AND NOT EXISTS (SELECT 1 FROM ref.township t WHERE t.code = r.code);

    UPDATE ref.township t SET name = r.name, active = true, updated_at = now()
    FROM staging.registry r
    WHERE r.load_id = p_load_id AND r.code = t.code AND (t.name <> r.name OR NOT t.active);

    UPDATE ref.township t SET active = false, updated_at = now()
    WHERE t.active
      AND NOT EXISTS (SELECT 1 FROM staging.registry r
                      WHERE r.load_id = p_load_id AND r.code = t.code);
    GET DIAGNOSTICS inactivated = ROW_COUNT;

    DELETE FROM staging.registry WHERE load_id = p_load_id;
END
$$;

-- The registry of counties (codes and names, one element each): adds,
-- renames, reactivates; marks the missing ones inactive.
CREATE FUNCTION load.county_registry(codes text[], names text[],
                                     OUT added int, OUT renamed int, OUT inactivated int)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    SELECT count(*) FILTER (WHERE c.code IS NULL), count(*) FILTER (WHERE c.name <> x.name)
    INTO added, renamed
    FROM unnest($1, $2) AS x(code, name) LEFT JOIN ref.county c ON c.code = x.code;
    INSERT INTO ref.county (code, name)
    SELECT x.code, x.name FROM unnest($1, $2) AS x(code, name)
    ON CONFLICT (code) DO UPDATE SET name = excluded.name, active = true, updated_at = now()
    WHERE ref.county.name <> excluded.name OR NOT ref.county.active;
    UPDATE ref.county c SET active = false, updated_at = now()
    WHERE c.active AND NOT (c.code = ANY ($1));
    GET DIAGNOSTICS inactivated = ROW_COUNT;
END
$$;

REVOKE ALL ON FUNCTION load.merge_registry(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION load.merge_registry(bigint), load.county_registry(text[], text[])
    TO bizenv_loader;
