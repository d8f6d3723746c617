-- facts.walk_summary: per submission with walks, the distinct windows and
-- leaders its walks name, so walk coverage and leader participation read
-- one row per submission instead of two semi-joins over every walk.
--
-- Statement triggers on facts.walk keep it equal to what facts.walk says
-- however rows arrive or leave (the loader's COPY, an INSERT, a DELETE, a
-- TRUNCATE). The loader's COPYs pay for it (0.8 s over a province-year).

-- Recomputes the summary of every submission whose walks the statement
-- touched (`changed`, and `changed_new` for an UPDATE).
CREATE FUNCTION facts.walk_summary_sync() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM facts.walk_summary;
        RETURN NULL;
    ELSIF TG_OP = 'UPDATE' THEN
        ids := ARRAY(SELECT c.submission_id FROM changed c
                     UNION SELECT n.submission_id FROM changed_new n);
    ELSE
        ids := ARRAY(SELECT DISTINCT c.submission_id FROM changed c);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM facts.walk_summary s
        WHERE s.submission_id = ANY (ids)
          AND NOT EXISTS (SELECT 1 FROM facts.walk k WHERE k.submission_id = s.submission_id);
    END IF;
    INSERT INTO facts.walk_summary (submission_id, windows, leaders)
    SELECT k.submission_id,
           array_agg(DISTINCT k.window_id ORDER BY k.window_id),
           array_agg(DISTINCT k.leader_id ORDER BY k.leader_id)
    FROM facts.walk k
    WHERE k.submission_id = ANY (ids)
    GROUP BY k.submission_id
    ON CONFLICT (submission_id) DO UPDATE
        SET windows = EXCLUDED.windows, leaders = EXCLUDED.leaders;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION facts.walk_summary_sync() FROM PUBLIC;

CREATE TRIGGER walk_summary_insert AFTER INSERT ON facts.walk
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION facts.walk_summary_sync();
CREATE TRIGGER walk_summary_update AFTER UPDATE ON facts.walk
    REFERENCING OLD TABLE AS changed NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION facts.walk_summary_sync();
CREATE TRIGGER walk_summary_delete AFTER DELETE ON facts.walk
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION facts.walk_summary_sync();
CREATE TRIGGER walk_summary_truncate AFTER TRUNCATE ON facts.walk
    FOR EACH STATEMENT EXECUTE FUNCTION facts.walk_summary_sync();

