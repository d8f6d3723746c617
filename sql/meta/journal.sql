-- The journal's side in the database (sql/migrations/093_journal.sql;
-- common/journal.h, jobs/record.c, jobs/replay.c).

-- Fingerprints of what the figures read besides the submissions and what
-- the journal records when it changes: the weights, the database-held
-- settings, the township registry and the counties. The same text as
-- report.ranking_base hashes, per part.
CREATE FUNCTION meta.journal_fingerprints(OUT weights text, OUT settings text,
                                          OUT townships text, OUT counties text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT (SELECT md5(coalesce(string_agg(w.figure || '=' || w.weight, ',' ORDER BY w.figure), ''))
              FROM ref.weight w),
           (SELECT md5(coalesce(string_agg(x.key || '=' || x.value, ',' ORDER BY x.key), ''))
              FROM ref.setting x),
           (SELECT md5(coalesce(string_agg(t.code || ':' || t.name || ':' || t.active, ','
                                           ORDER BY t.code), ''))
              FROM ref.township t),
           (SELECT md5(coalesce(string_agg(k.code || ':' || k.name || ':' || k.active, ','
                                           ORDER BY k.code), ''))
              FROM ref.county k)
$$;

-- Which parts differ from what journal journal_id last recorded. A
-- database the journal has not recorded yet (no row, or another journal's)
-- differs in every part: the journal then records them all as found,
-- whatever a new database would hold.
CREATE FUNCTION meta.journal_drift(journal_id text,
                                   OUT known boolean, OUT weights boolean, OUT settings boolean,
                                   OUT townships boolean, OUT counties boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH f AS (SELECT * FROM meta.journal_fingerprints()),
         s AS (SELECT x.* FROM meta.journal_state x WHERE x.journal_id = $1)
    SELECT EXISTS (SELECT 1 FROM s),
           f.weights IS DISTINCT FROM (SELECT s.weights FROM s),
           f.settings IS DISTINCT FROM (SELECT s.settings FROM s),
           f.townships IS DISTINCT FROM (SELECT s.townships FROM s),
           f.counties IS DISTINCT FROM (SELECT s.counties FROM s)
    FROM f
$$;

-- Records, inside the transaction a journal group describes, that it is
-- the last group applied; with_state also that the journal now describes
-- the weights, settings and registries as they are.
CREATE FUNCTION meta.journal_commit(journal_id text, g bigint, with_state boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO meta.journal_state (journal_id, txn) VALUES ($1, $2)
    ON CONFLICT (singleton) DO UPDATE SET journal_id = excluded.journal_id, txn = excluded.txn,
                                          updated_at = now();
    IF with_state THEN
        UPDATE meta.journal_state s
           SET weights = f.weights, settings = f.settings, townships = f.townships,
               counties = f.counties
          FROM meta.journal_fingerprints() f;
    END IF;
END
$$;

-- A registry exactly as a snapshot in the journal recorded it (a change
-- made outside bizenv, replayed by bizenv rebuild): listed rows take the
-- snapshot's name and state, rows it does not list become inactive (rows
-- are never deleted). The two registries have the same columns: one body,
-- the table chosen between two names written here (never from a value).
CREATE FUNCTION load.restore_registry(counties boolean, codes text[], names text[],
                                      actives boolean[])
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tbl text := CASE WHEN counties THEN 'ref.county' ELSE 'ref.township' END;
BEGIN
    EXECUTE format(
        'INSERT INTO %s AS r (code, name, active)
         SELECT x.code, x.name, x.active FROM unnest($1, $2, $3) AS x(code, name, active)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, active = excluded.active,
                                          updated_at = now()
         WHERE (r.name, r.active) IS DISTINCT FROM (excluded.name, excluded.active)', tbl)
    USING codes, names, actives;
    EXECUTE format(
        'UPDATE %s t SET active = false, updated_at = now()
          WHERE t.active AND NOT (t.code = ANY ($1))', tbl)
    USING codes;
END
$$;

REVOKE ALL ON FUNCTION meta.journal_fingerprints(), meta.journal_drift(text),
    meta.journal_commit(text, bigint, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION meta.journal_fingerprints(), meta.journal_drift(text),
    meta.journal_commit(text, bigint, boolean) TO bizenv_loader;
REVOKE ALL ON FUNCTION load.restore_registry(boolean, text[], text[], boolean[]) FROM PUBLIC;
