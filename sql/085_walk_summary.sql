-- 085: the windows and leaders each submission's walks name, kept beside
-- the walks.
--
-- Walk coverage and leader participation ask, for every window and leader
-- a township listed in a period, whether a walk of the same submission
-- names it. Answered from facts.walk, that was two semi-joins over every
-- walk of the period: half the time of a year's ranking at province scale
-- (537,000 walks). facts.walk_summary holds, for each submission with
-- walks, the distinct window and leader ids they name; statement triggers
-- on facts.walk keep it equal to what facts.walk says however rows arrive
-- or leave (the loader's COPY, an INSERT, a DELETE), so
-- report.township_figures reads one row per submission instead. Its
-- results are unchanged (tests/sql/*; the province-year's month, quarter,
-- half and year figures compared row for row before and after).

CREATE TABLE facts.walk_summary (
    submission_id  bigint PRIMARY KEY REFERENCES facts.submission (id),
    windows        text[] NOT NULL,
    leaders        text[] NOT NULL
);
COMMENT ON TABLE facts.walk_summary IS
    'per submission with walks: the distinct window ids and leader ids its walks name (sorted); kept by triggers on facts.walk';

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

INSERT INTO facts.walk_summary (submission_id, windows, leaders)
SELECT k.submission_id,
       array_agg(DISTINCT k.window_id ORDER BY k.window_id),
       array_agg(DISTINCT k.leader_id ORDER BY k.leader_id)
FROM facts.walk k
GROUP BY k.submission_id;

GRANT SELECT ON facts.walk_summary TO bizenv_loader;

-- 083's figures, reading whether a window or leader was walked from
-- facts.walk_summary.
CREATE OR REPLACE FUNCTION report.township_figures(period text, as_of date, codes text[] DEFAULT NULL)
RETURNS SETOF report.figure
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off   -- see report.ranking in 020
AS $f$
DECLARE
    d date := coalesce(as_of, (now() AT TIME ZONE 'Asia/Shanghai')::date);
    b record;
BEGIN
    SELECT x.first_day, x.last_day, x.months INTO b FROM report.period_bounds(period) x;
    -- Planned for these values each time (EXECUTE): one township's figures
    -- read its own rows through the indexes, a whole year scans.
    RETURN QUERY EXECUTE $q$
WITH
counted AS (   -- submissions received by the end of D for months up to e
    SELECT s.id, s.township_code, s.period, s.revision,
           min(s.received_at) OVER (PARTITION BY s.township_code, s.period) AS first_received_at
    FROM facts.submission s
    WHERE s.received_at < $4 AND s.period <= $2
      AND ($6::text[] IS NULL OR s.township_code = ANY ($6))
),
cur_all AS (   -- current revisions of every month up to e (the problem ledger)
    SELECT DISTINCT ON (c.township_code, c.period)
           c.id AS submission_id, c.township_code, c.period, c.first_received_at
    FROM counted c
    ORDER BY c.township_code, c.period, c.revision DESC
),
cur AS (SELECT c.* FROM cur_all c WHERE c.period = ANY ($3)),
towns AS (
    SELECT t.code, t.name FROM ref.township t
    WHERE ($6::text[] IS NULL OR t.code = ANY ($6))
      AND (t.active OR EXISTS (SELECT 1 FROM cur c WHERE c.township_code = t.code))
),
expected AS MATERIALIZED (   -- ended months of P, with their on-time deadline
    SELECT x.m, report.deadline(x.m) AS deadline FROM unnest($3) AS x(m)
    WHERE (x.m + interval '1 month')::date <= $5
),
month_state AS (
    SELECT t.code, x.m, c.submission_id IS NOT NULL AS present,
           coalesce(c.first_received_at < x.deadline, false) AS on_time
    FROM towns t CROSS JOIN expected x
    LEFT JOIN cur c ON c.township_code = t.code AND c.period = x.m
),
completeness AS (
    SELECT ms.code,
           count(*) FILTER (WHERE ms.present)::int AS reported,
           count(*)::int AS expected,
           count(*) FILTER (WHERE ms.on_time)::int AS on_time,
           coalesce(array_agg(to_char(ms.m, 'YYYY-MM') ORDER BY ms.m) FILTER (WHERE NOT ms.present),
                    '{}') AS missing
    FROM month_state ms GROUP BY ms.code
),
service AS (
    SELECT c.township_code AS code, count(*)::int AS present,
           sum(s.handled)::bigint AS handled, sum(s.evaluated)::bigint AS evaluated
    FROM cur c JOIN facts.submission s ON s.id = c.submission_id
    GROUP BY c.township_code
),
ledger AS (    -- each problem as last seen in a month <= e
    SELECT DISTINCT ON (c.township_code, pr.problem_id)
           c.township_code AS code, pr.found, pr.rectified
    FROM cur_all c JOIN facts.problem pr ON pr.submission_id = c.submission_id
    ORDER BY c.township_code, pr.problem_id, c.period DESC
),
completion AS (
    SELECT l.code,
           count(*) FILTER (WHERE l.found <= $2 AND (l.rectified IS NULL OR l.rectified >= $1)) AS due,
           count(*) FILTER (WHERE l.found <= $2 AND l.rectified >= $1 AND l.rectified <= $2) AS done
    FROM ledger l GROUP BY l.code
),
win AS (       -- window keys (a window mapped to 'other' by its own name),
               -- walked when a walk of the same submission names the window
    SELECT c.township_code AS code,
           CASE WHEN w.catalog = 'other' THEN 'other:' || w.name ELSE w.catalog END AS wkey,
           coalesce(w.window_id = ANY (k.windows), false) AS walked
    FROM cur c JOIN facts.window w ON w.submission_id = c.submission_id
    LEFT JOIN facts.walk_summary k ON k.submission_id = c.submission_id
),
coverage AS (
    SELECT x.code, count(*) AS listed, count(*) FILTER (WHERE x.walked) AS walked
    FROM (SELECT w.code, w.wkey, bool_or(w.walked) AS walked
          FROM win w GROUP BY w.code, w.wkey) x
    GROUP BY x.code
),
lead AS (      -- leaders, walked when a walk of the same submission names them
    SELECT c.township_code AS code, l.leader_id,
           coalesce(l.leader_id = ANY (k.leaders), false) AS walked
    FROM cur c JOIN facts.leader l ON l.submission_id = c.submission_id
    LEFT JOIN facts.walk_summary k ON k.submission_id = c.submission_id
),
leaders AS (
    SELECT x.code, count(*) AS listed, count(*) FILTER (WHERE x.walked) AS walked
    FROM (SELECT l.code, l.leader_id, bool_or(l.walked) AS walked
          FROM lead l GROUP BY l.code, l.leader_id) x
    GROUP BY x.code
),
figures AS (
    SELECT t.code, t.name,
           coalesce(sv.present, 0) AS present,
           CASE WHEN sv.handled > 0 THEN sv.evaluated::numeric / sv.handled END AS service_rate,
           CASE WHEN sv.present > 0 AND cp.due > 0 THEN cp.done::numeric / cp.due END AS completion_rate,
           CASE WHEN cv.listed > 0 THEN cv.walked::numeric / cv.listed END AS walk_coverage,
           CASE WHEN ld.listed > 0 THEN ld.walked::numeric / ld.listed END AS leader_participation,
           coalesce(sv.handled, 0) AS handled, coalesce(sv.evaluated, 0) AS evaluated,
           CASE WHEN sv.present > 0 THEN coalesce(cp.due, 0) ELSE 0 END AS due,
           CASE WHEN sv.present > 0 THEN coalesce(cp.done, 0) ELSE 0 END AS done,
           coalesce(cv.walked, 0) AS windows_walked, coalesce(cv.listed, 0) AS windows_listed,
           coalesce(ld.walked, 0) AS leaders_walked, coalesce(ld.listed, 0) AS leaders_listed,
           coalesce(cm.reported, 0) AS reported, coalesce(cm.expected, 0) AS expected,
           coalesce(cm.on_time, 0) AS on_time, coalesce(cm.missing, '{}') AS missing
    FROM towns t
    LEFT JOIN service sv ON sv.code = t.code
    LEFT JOIN completion cp ON cp.code = t.code
    LEFT JOIN coverage cv ON cv.code = t.code
    LEFT JOIN leaders ld ON ld.code = t.code
    LEFT JOIN completeness cm ON cm.code = t.code
)
SELECT f.code, f.name,
       f.service_rate, f.completion_rate, f.walk_coverage, f.leader_participation,
       CASE WHEN f.present = 0 THEN '未报送'
            WHEN cardinality(f.missing) > 0 THEN '缺报'
            ELSE '已报送' END,
       f.missing, f.reported, f.expected,
       f.handled, f.evaluated, f.due::bigint, f.done::bigint,
       f.windows_walked, f.windows_listed, f.leaders_walked, f.leaders_listed,
       f.present, f.on_time
FROM figures f
ORDER BY f.code
$q$
    USING b.first_day, b.last_day, b.months, report.as_of_cutoff(d), d, codes;
END
$f$;
