-- 086: a stored ranking keeps its townships' figures, not their ranks, and
-- a ranking that differs from an earlier one in a few townships stores
-- only those.
--
-- The ranks, the composite and the two rates are a function of the
-- figures and the weights (report.rank_figures), and a ranking run stores
-- both. So they are computed when a stored ranking is read
-- (report.stored_ranking, report.ranking_snapshot) instead of when it is
-- stored, by the same function that computes them for report.ranking.
-- Storing a night's change then costs what changed: before, one new
-- submission at province scale stored four rankings of 1,500 rows each
-- (the month, quarter, half and year it counts in), ranking them all again
-- first; now it stores four rows.
--
-- A run is full (base_run_id NULL: one row per township) or a delta on a
-- full run (base_run_id: only the townships whose figures differ from that
-- run's). report.stored_figures puts a delta together with its base. A
-- delta is never based on a delta, and is stored in full instead when it
-- would hold more than a quarter of its base's rows or would have to drop
-- a township (an inactive one that no longer counts a submission).
--
-- A night refreshes all its periods in one statement
-- (report.refresh_rankings_if_changed; report.refresh_ranking_if_changed
-- is that for one period): first each period's stored run and changed
-- townships, then the changed townships' figures for every period in one
-- query, planned once, then each period kept, stored as a delta or in
-- full. For that the figures query of 085 moves, unchanged, into an
-- inlinable SQL function (report.township_figures_of), which
-- report.township_figures runs for one period exactly as before and
-- report.township_figures_for joins laterally to several.
--
-- The old rows are moved over; the migration checks that every stored
-- ranking's composite, ranks and rates computed from its figures are the
-- ones it stored, and stops (nothing changed) if one is not.

CREATE TABLE facts.ranking_figure (
    run_id                bigint NOT NULL REFERENCES facts.ranking_run (id),
    code                  text NOT NULL,
    name                  text NOT NULL,
    service_rate          numeric,
    completion_rate       numeric,
    walk_coverage         numeric,
    leader_participation  numeric,
    status                text NOT NULL,
    missing_months        text[] NOT NULL,
    months_reported       int NOT NULL,
    months_expected       int NOT NULL,
    handled               bigint NOT NULL,
    evaluated             bigint NOT NULL,
    due                   bigint NOT NULL,
    done                  bigint NOT NULL,
    windows_walked        bigint NOT NULL,
    windows_listed        bigint NOT NULL,
    leaders_walked        bigint NOT NULL,
    leaders_listed        bigint NOT NULL,
    months_present        int NOT NULL,
    months_on_time        int NOT NULL,
    PRIMARY KEY (run_id, code)
);
COMMENT ON TABLE facts.ranking_figure IS
    'the figures of one stored ranking per township (report.figure): all townships for a full run, the ones that differ from its base for a delta run; ranks are computed from them and the run''s weights (report.stored_ranking)';

ALTER TABLE facts.ranking_run ADD COLUMN base_run_id bigint REFERENCES facts.ranking_run (id);
COMMENT ON COLUMN facts.ranking_run.base_run_id IS
    'NULL for a full run; else the full run this one differs from in only the townships stored for it';

INSERT INTO facts.ranking_figure
SELECT s.run_id, s.code, s.name, s.service_rate, s.completion_rate, s.walk_coverage,
       s.leader_participation, s.status, s.missing_months, s.months_reported,
       s.months_expected, s.handled, s.evaluated, s.due, s.done, s.windows_walked,
       s.windows_listed, s.leaders_walked, s.leaders_listed, s.months_present, s.months_on_time
FROM facts.ranking_snapshot s;

-- The figures of a stored ranking: its own rows and, for a delta, its
-- base's rows of every other township.
CREATE OR REPLACE FUNCTION report.stored_figures(run_id bigint)
RETURNS SETOF report.figure
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT f.code, f.name, f.service_rate, f.completion_rate, f.walk_coverage,
           f.leader_participation, f.status, f.missing_months, f.months_reported,
           f.months_expected, f.handled, f.evaluated, f.due, f.done,
           f.windows_walked, f.windows_listed, f.leaders_walked, f.leaders_listed,
           f.months_present, f.months_on_time
    FROM facts.ranking_figure f
    WHERE f.run_id = $1
    UNION ALL
    SELECT b.code, b.name, b.service_rate, b.completion_rate, b.walk_coverage,
           b.leader_participation, b.status, b.missing_months, b.months_reported,
           b.months_expected, b.handled, b.evaluated, b.due, b.done,
           b.windows_walked, b.windows_listed, b.leaders_walked, b.leaders_listed,
           b.months_present, b.months_on_time
    FROM facts.ranking_run r
    JOIN facts.ranking_figure b ON b.run_id = r.base_run_id
    WHERE r.id = $1
      AND NOT EXISTS (SELECT 1 FROM facts.ranking_figure d WHERE d.run_id = $1 AND d.code = b.code)
$$;
COMMENT ON FUNCTION report.stored_figures(bigint) IS '已保存排名中各单位的数字（不含排名）';

-- The same for some townships only (read through the index).
CREATE FUNCTION report.stored_figures(run_id bigint, codes text[])
RETURNS SETOF report.figure
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT f.code, f.name, f.service_rate, f.completion_rate, f.walk_coverage,
           f.leader_participation, f.status, f.missing_months, f.months_reported,
           f.months_expected, f.handled, f.evaluated, f.due, f.done,
           f.windows_walked, f.windows_listed, f.leaders_walked, f.leaders_listed,
           f.months_present, f.months_on_time
    FROM facts.ranking_figure f
    WHERE f.run_id = $1 AND f.code = ANY ($2)
    UNION ALL
    SELECT b.code, b.name, b.service_rate, b.completion_rate, b.walk_coverage,
           b.leader_participation, b.status, b.missing_months, b.months_reported,
           b.months_expected, b.handled, b.evaluated, b.due, b.done,
           b.windows_walked, b.windows_listed, b.leaders_walked, b.leaders_listed,
           b.months_present, b.months_on_time
    FROM facts.ranking_run r
    JOIN facts.ranking_figure b ON b.run_id = r.base_run_id AND b.code = ANY ($2)
    WHERE r.id = $1
      AND NOT EXISTS (SELECT 1 FROM facts.ranking_figure d WHERE d.run_id = $1 AND d.code = b.code)
$$;
COMMENT ON FUNCTION report.stored_figures(bigint, text[]) IS '已保存排名中指定单位的数字（不含排名）';

-- A stored ranking as report.ranking returns it: its figures ranked with
-- its own weights.
CREATE FUNCTION report.stored_ranking(run_id bigint)
RETURNS TABLE (
    code text, name text,
    service_rate numeric, completion_rate numeric, walk_coverage numeric, leader_participation numeric,
    composite numeric,
    composite_rank int, service_rank int, completion_rank int, coverage_rank int,
    status text, missing_months text[],
    months_reported int, months_expected int, reporting_rate numeric, on_time_rate numeric,
    handled bigint, evaluated bigint, due bigint, done bigint,
    windows_walked bigint, windows_listed bigint, leaders_walked bigint, leaders_listed bigint,
    w_service numeric, w_completion numeric, w_coverage numeric,
    months_present int, months_on_time int
)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
    SELECT k.*
    FROM facts.ranking_run x
    CROSS JOIN LATERAL report.rank_figures(ARRAY(SELECT f FROM report.stored_figures(x.id) f),
                                           x.w_service, x.w_completion, x.w_coverage) k
    WHERE x.id = $1
$$;
COMMENT ON FUNCTION report.stored_ranking(bigint) IS
    '已保存的一次排名（各单位数字按该次所用权重排名，列与 report.ranking 相同）';

-- Stores figures as rows of run.
CREATE FUNCTION report.store_figures(run bigint, f report.figure[])
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO facts.ranking_figure
        (run_id, code, name, service_rate, completion_rate, walk_coverage, leader_participation,
         status, missing_months, months_reported, months_expected, handled, evaluated, due, done,
         windows_walked, windows_listed, leaders_walked, leaders_listed, months_present,
         months_on_time)
    SELECT $1, u.code, u.name, u.service_rate, u.completion_rate, u.walk_coverage,
           u.leader_participation, u.status, u.missing_months, u.months_reported,
           u.months_expected, u.handled, u.evaluated, u.due, u.done, u.windows_walked,
           u.windows_listed, u.leaders_walked, u.leaders_listed, u.months_present,
           u.months_on_time
    FROM unnest($2) u
$$;

-- Stores figures as one full ranking run with the weights in force.
CREATE OR REPLACE FUNCTION report.store_ranking(period text, as_of date, f report.figure[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run bigint;
BEGIN
    INSERT INTO facts.ranking_run (period, as_of, w_service, w_completion, w_coverage)
    SELECT $1, $2, w.w_service, w.w_completion, w.w_coverage FROM report.weights() w
    RETURNING id INTO run;
    PERFORM report.store_figures(run, $3);
    RETURN run;
END
$$;
COMMENT ON FUNCTION report.store_ranking(text, date, report.figure[]) IS
    '把各单位数字连同现行权重保存为一次完整排名（facts.ranking_run / facts.ranking_figure），返回编号';

COMMENT ON FUNCTION report.refresh_ranking(text, date) IS
    '计算并保存一次排名（facts.ranking_run / facts.ranking_figure，含所用权重），返回本次编号';

-- Whether two stored rankings differ in any published figure or rank.
CREATE OR REPLACE FUNCTION meta.rankings_differ(a bigint, b bigint)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH x AS (
        SELECT s.code, s.name, s.service_rate, s.completion_rate, s.walk_coverage,
               s.leader_participation, s.composite, s.composite_rank, s.service_rank,
               s.completion_rank, s.coverage_rank, s.status, s.missing_months,
               s.months_reported, s.months_expected, s.reporting_rate, s.on_time_rate
        FROM report.stored_ranking($1) s
    ), y AS (
        SELECT s.code, s.name, s.service_rate, s.completion_rate, s.walk_coverage,
               s.leader_participation, s.composite, s.composite_rank, s.service_rank,
               s.completion_rank, s.coverage_rank, s.status, s.missing_months,
               s.months_reported, s.months_expected, s.reporting_rate, s.on_time_rate
        FROM report.stored_ranking($2) s
    )
    SELECT EXISTS (SELECT * FROM x EXCEPT SELECT * FROM y)
        OR EXISTS (SELECT * FROM y EXCEPT SELECT * FROM x)
        OR (SELECT (r.w_service, r.w_completion, r.w_coverage) FROM facts.ranking_run r WHERE r.id = $1)
           IS DISTINCT FROM
           (SELECT (r.w_service, r.w_completion, r.w_coverage) FROM facts.ranking_run r WHERE r.id = $2)
$$;

-- Every stored ranking, recomputed from its figures, must be what was
-- stored; else stop here and keep the old table.
DO $$
DECLARE
    bad bigint;
BEGIN
    SELECT x.id INTO bad
      FROM facts.ranking_run x
     WHERE EXISTS (
        SELECT s.code, s.name, s.service_rate, s.completion_rate, s.walk_coverage,
               s.leader_participation, s.composite, s.composite_rank, s.service_rank,
               s.completion_rank, s.coverage_rank, s.status, s.missing_months,
               s.months_reported, s.months_expected, s.reporting_rate, s.on_time_rate,
               s.handled, s.evaluated, s.due, s.done, s.windows_walked, s.windows_listed,
               s.leaders_walked, s.leaders_listed, s.months_present, s.months_on_time
          FROM facts.ranking_snapshot s WHERE s.run_id = x.id
        EXCEPT
        SELECT k.code, k.name, k.service_rate, k.completion_rate, k.walk_coverage,
               k.leader_participation, k.composite, k.composite_rank, k.service_rank,
               k.completion_rank, k.coverage_rank, k.status, k.missing_months,
               k.months_reported, k.months_expected, k.reporting_rate, k.on_time_rate,
               k.handled, k.evaluated, k.due, k.done, k.windows_walked, k.windows_listed,
               k.leaders_walked, k.leaders_listed, k.months_present, k.months_on_time
          FROM report.stored_ranking(x.id) k)
     ORDER BY x.id LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION '已保存的排名 #% 由其数字重算的排名与保存的不同，迁移 086 未执行', bad
            USING ERRCODE = 'data_exception';
    END IF;
END
$$;

-- What analysts read keeps its columns; the rows are now computed.
DROP VIEW report.ranking_snapshot;
DROP TABLE facts.ranking_snapshot;

CREATE VIEW report.ranking_snapshot AS
SELECT x.id AS run_id, s.code, s.name, s.service_rate, s.completion_rate, s.walk_coverage,
       s.leader_participation, s.composite, s.composite_rank, s.service_rank, s.completion_rank,
       s.coverage_rank, s.status, s.missing_months, s.months_reported, s.months_expected,
       s.reporting_rate, s.on_time_rate, s.handled, s.evaluated, s.due, s.done,
       s.windows_walked, s.windows_listed, s.leaders_walked, s.leaders_listed
FROM facts.ranking_run x
CROSS JOIN LATERAL report.stored_ranking(x.id) s;
COMMENT ON VIEW report.ranking_snapshot IS
    '已保存排名的各乡镇结果（与 report.ranking 的列含义相同；由保存的数字和该次所用权重排名）';
COMMENT ON COLUMN report.ranking_snapshot.run_id IS '排名计算编号（对应 report.ranking_run.id）';
COMMENT ON COLUMN report.ranking_snapshot.code IS '乡镇代码';
COMMENT ON COLUMN report.ranking_snapshot.name IS '乡镇名称';
COMMENT ON COLUMN report.ranking_snapshot.service_rate IS '服务率（评价件数合计 / 办件量合计，0–1 精确值）';
COMMENT ON COLUMN report.ranking_snapshot.completion_rate IS '整改完成率（已完成 / 应整改，0–1 精确值）';
COMMENT ON COLUMN report.ranking_snapshot.walk_coverage IS '走流程覆盖率（走过的目录窗口 / 所列目录窗口，0–1 精确值）';
COMMENT ON COLUMN report.ranking_snapshot.leader_participation IS '领导参与率（走过流程的领导 / 所列领导，不参与排名）';
COMMENT ON COLUMN report.ranking_snapshot.composite IS '综合得分（百分制，保留两位小数）';
COMMENT ON COLUMN report.ranking_snapshot.composite_rank IS '综合排名';
COMMENT ON COLUMN report.ranking_snapshot.service_rank IS '服务率排名';
COMMENT ON COLUMN report.ranking_snapshot.completion_rank IS '整改完成率排名';
COMMENT ON COLUMN report.ranking_snapshot.coverage_rank IS '走流程覆盖率排名';
COMMENT ON COLUMN report.ranking_snapshot.status IS '报送状态：已报送 / 缺报 / 未报送';
COMMENT ON COLUMN report.ranking_snapshot.missing_months IS '缺报月份（YYYY-MM）';
COMMENT ON COLUMN report.ranking_snapshot.months_reported IS '已报送的应报月份数';
COMMENT ON COLUMN report.ranking_snapshot.months_expected IS '应报月份数（截至日期前已结束的月份）';
COMMENT ON COLUMN report.ranking_snapshot.reporting_rate IS '报送率（已报送月份 / 应报月份）';
COMMENT ON COLUMN report.ranking_snapshot.on_time_rate IS '按时报送率（按时月份 / 应报月份）';
COMMENT ON COLUMN report.ranking_snapshot.handled IS '办件量合计';
COMMENT ON COLUMN report.ranking_snapshot.evaluated IS '评价件数合计';
COMMENT ON COLUMN report.ranking_snapshot.due IS '期间内应整改问题数（期间内某时仍未整改）';
COMMENT ON COLUMN report.ranking_snapshot.done IS '其中期间内完成整改的问题数';
COMMENT ON COLUMN report.ranking_snapshot.windows_walked IS '期间内走过流程的不同目录窗口数';
COMMENT ON COLUMN report.ranking_snapshot.windows_listed IS '期间内所列不同目录窗口数';
COMMENT ON COLUMN report.ranking_snapshot.leaders_walked IS '期间内走过流程的不同领导数';
COMMENT ON COLUMN report.ranking_snapshot.leaders_listed IS '期间内所列不同领导数';
GRANT SELECT ON report.ranking_snapshot TO bizenv_analyst;

-- A night's rankings together (the nightly calls this once): the figures
-- query of 085, unchanged, moves into an inlinable SQL function so that
-- several periods' figures of a few townships are planned and computed in
-- one query.

-- The figures of the townships listed in P = [$1, $2] ($3: its months)
-- counting submissions received before $4, with the months ended by $5
-- expected; $6: only those townships (NULL: all). The query of 085,
-- unchanged (its arguments unnamed, so no name in it can mean one).
-- Inlined into the statement that calls it, so the planner sees through
-- it: hence not SECURITY DEFINER and no SET — its callers fix the search
-- path, and only they may execute it.
CREATE FUNCTION report.township_figures_of(date, date, date[], timestamptz, date, text[])
RETURNS SETOF report.figure
LANGUAGE sql STABLE
AS $q$
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
$q$;
COMMENT ON FUNCTION report.township_figures_of(date, date, date[], timestamptz, date, text[]) IS
    '各乡镇在期间（首日、末日、各月）内按截止时刻计入报送的数字；由 report.township_figures / township_figures_for 调用';

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
    RETURN QUERY EXECUTE
        'SELECT * FROM report.township_figures_of($1, $2, $3, $4, $5, $6)'
    USING b.first_day, b.last_day, b.months, report.as_of_cutoff(d), d, codes;
END
$f$;

-- The figures of some townships in several periods at once: (period,
-- figures) for every period and listed township among codes.
CREATE FUNCTION report.township_figures_for(periods text[], as_of date, codes text[])
RETURNS TABLE (period text, figure report.figure)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $f$
DECLARE
    d date := coalesce(as_of, (now() AT TIME ZONE 'Asia/Shanghai')::date);
BEGIN
    RETURN QUERY EXECUTE
        'SELECT p.label, f
           FROM unnest($1::text[]) AS u(label)
          CROSS JOIN LATERAL (SELECT u.label, b.first_day, b.last_day, b.months
                                FROM report.period_bounds(u.label) b) p
          CROSS JOIN LATERAL report.township_figures_of(p.first_day, p.last_day, p.months,
                                                        $2, $3, $4) f'
    USING periods, report.as_of_cutoff(d), d, codes;
END
$f$;
COMMENT ON FUNCTION report.township_figures_for(text[], date, text[]) IS
    '指定乡镇在多个期间内截至某日的数字（未排名），一次计算';

-- Returns each period's ranking run as of D (083's rules and the above,
-- period by period): the stored one when nothing it counts changed (refreshed =
-- false); else a new one, recomputing only the changed townships when the
-- rest of its inputs are the same and storing only the townships that
-- differ from the full run it is based on. A period listed twice is done
-- once; rows come in the order of first mention.
CREATE FUNCTION report.refresh_rankings_if_changed(periods text[], as_of date)
RETURNS TABLE (period text, run_id bigint, refreshed boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    d date := coalesce($2, (now() AT TIME ZONE 'Asia/Shanghai')::date);
    -- Read first: a submission committed after this has a higher id and is
    -- seen next time whether or not it is counted now. Loads and refreshes
    -- are serialised by the run lock (jobs/runlock.c), so no submission
    -- with a lower id can still be uncommitted.
    max_id bigint := (SELECT coalesce(max(s.id), 0) FROM facts.submission s);
    cut timestamptz := report.as_of_cutoff(d);
    prefecture boolean := report.is_prefecture();
    ps text[] := ARRAY(SELECT u.pp FROM unnest($1) WITH ORDINALITY AS u(pp, k)
                       GROUP BY u.pp ORDER BY min(u.k));
    bases text[];        -- per period: report.ranking_base
    prev_ids bigint[];   -- per period: the stored run to refresh from, or NULL
    ch_period text[] := '{}';   -- the (period, township) pairs to recompute
    ch_code text[] := '{}';
    fresh_period text[] := '{}';   -- their figures, by period
    fresh_all report.figure[] := '{}';
    p text;
    p_first date;
    p_last date;
    prev facts.ranking_run;
    full_run facts.ranking_run;
    changed text[];
    fresh report.figure[];
    stored report.figure[];
    delta report.figure[];
    run bigint;
BEGIN
    -- 1. Each period's inputs, stored run and changed townships.
    FOR i IN 1 .. coalesce(cardinality(ps), 0) LOOP
        p := ps[i];
        SELECT b.first_day, b.last_day INTO p_first, p_last FROM report.period_bounds(p) b;
        bases[i] := report.ranking_base(p, d);
        SELECT r.* INTO prev
          FROM facts.ranking_run r
         WHERE r.period = p AND r.inputs IS NOT NULL  -- exports store rankings without one
         ORDER BY r.id DESC LIMIT 1;
        IF prev.id IS NULL OR prev.inputs <> bases[i] OR prev.max_submission_id IS NULL THEN
            prev_ids[i] := NULL;   -- computed in full
            CONTINUE;
        END IF;
        prev_ids[i] := prev.id;
        IF prefecture THEN
            CONTINUE;   -- counties rank on roll-ups only, which are in base
        END IF;
        -- Townships with a submission up to P's end counted now and not
        -- then, or then and not now. One for a month before P counts only
        -- through the problem ledger, which counts only for a township
        -- with a submission in P (020's figures): for another township it
        -- changes nothing. (Had its submissions in P changed, one of them
        -- would be listed here itself.)
        changed := ARRAY(
            SELECT c.code
              FROM (SELECT s.township_code AS code, s.period FROM facts.submission s
                     WHERE s.id > prev.max_submission_id AND s.received_at < cut
                       AND s.period <= p_last
                    UNION
                    SELECT s.township_code, s.period FROM facts.submission s
                     WHERE s.received_at >= least(cut, prev.cutoff)
                       AND s.received_at < greatest(cut, prev.cutoff)
                       AND s.id <= prev.max_submission_id AND s.period <= p_last) c
             WHERE c.period >= p_first
                OR EXISTS (SELECT 1 FROM facts.submission x
                            WHERE x.township_code = c.code
                              AND x.period >= p_first AND x.period <= p_last
                              AND x.received_at < cut)
             GROUP BY c.code
             ORDER BY 1);
        ch_period := ch_period || array_fill(p, ARRAY[cardinality(changed)]);
        ch_code := ch_code || changed;
    END LOOP;

    -- 2. The changed townships' figures, every period at once.
    IF cardinality(ch_code) > 0 THEN
        SELECT coalesce(array_agg(x.period), '{}'), coalesce(array_agg(x.figure), '{}')
          INTO fresh_period, fresh_all
          FROM report.township_figures_for(ARRAY(SELECT DISTINCT unnest(ch_period)), d,
                                           ARRAY(SELECT DISTINCT unnest(ch_code))) x
         WHERE (x.period, (x.figure).code) IN (SELECT * FROM unnest(ch_period, ch_code));
    END IF;

    -- 3. Each period kept, stored as a delta, or stored in full.
    FOR i IN 1 .. coalesce(cardinality(ps), 0) LOOP
        p := ps[i];
        period := p;
        IF prev_ids[i] IS NULL THEN
            run := report.refresh_ranking(p, d);
            UPDATE facts.ranking_run r
               SET inputs = bases[i], max_submission_id = max_id, cutoff = cut
             WHERE r.id = run;
            run_id := run;
            refreshed := true;
            RETURN NEXT;
            CONTINUE;
        END IF;
        SELECT r.* INTO prev FROM facts.ranking_run r WHERE r.id = prev_ids[i];
        changed := ARRAY(SELECT u.c FROM unnest(ch_period, ch_code) AS u(pp, c)
                          WHERE u.pp = p ORDER BY u.c);
        IF cardinality(changed) > 0 THEN
            fresh := ARRAY(SELECT fresh_all[k] FROM generate_subscripts(fresh_period, 1) AS k
                            WHERE fresh_period[k] = p);
            stored := ARRAY(SELECT f FROM report.stored_figures(prev.id, changed) f);
        END IF;
        -- Nothing new counted, or the changed townships' figures came out
        -- the same (a revision with the same counts): the stored run
        -- stands, and now stands for these inputs.
        IF cardinality(changed) = 0
           OR NOT EXISTS (SELECT * FROM unnest(fresh) EXCEPT ALL SELECT * FROM unnest(stored)
                          UNION ALL
                          (SELECT * FROM unnest(stored) EXCEPT ALL SELECT * FROM unnest(fresh))) THEN
            IF (max_id, cut) IS DISTINCT FROM (prev.max_submission_id, prev.cutoff) THEN
                UPDATE facts.ranking_run r
                   SET max_submission_id = max_id, cutoff = cut
                 WHERE r.id = prev.id;
            END IF;
            run_id := prev.id;
            refreshed := false;
            RETURN NEXT;
            CONTINUE;
        END IF;
        SELECT r.* INTO full_run FROM facts.ranking_run r
         WHERE r.id = coalesce(prev.base_run_id, prev.id);
        -- The new run's townships that differ from the full run's: those
        -- prev already stored for itself and did not recompute, and the
        -- recomputed ones whose figures are not the full run's.
        delta := ARRAY(
            SELECT f FROM report.stored_figures(prev.id, ARRAY(
                       SELECT x.code FROM facts.ranking_figure x
                        WHERE x.run_id = prev.id AND prev.base_run_id IS NOT NULL
                          AND x.code <> ALL (changed))) f
            UNION ALL
            SELECT f FROM unnest(fresh) f
             WHERE NOT EXISTS (SELECT 1 FROM facts.ranking_figure b
                                WHERE b.run_id = full_run.id AND b.code = f.code
                                  AND (b.name, b.service_rate, b.completion_rate, b.walk_coverage,
                                       b.leader_participation, b.status, b.missing_months,
                                       b.months_reported, b.months_expected, b.handled,
                                       b.evaluated, b.due, b.done, b.windows_walked,
                                       b.windows_listed, b.leaders_walked, b.leaders_listed,
                                       b.months_present, b.months_on_time)
                                      IS NOT DISTINCT FROM
                                      (f.name, f.service_rate, f.completion_rate, f.walk_coverage,
                                       f.leader_participation, f.status, f.missing_months,
                                       f.months_reported, f.months_expected, f.handled,
                                       f.evaluated, f.due, f.done, f.windows_walked,
                                       f.windows_listed, f.leaders_walked, f.leaders_listed,
                                       f.months_present, f.months_on_time)));
        IF EXISTS (SELECT 1 FROM unnest(stored) s
                    WHERE NOT EXISTS (SELECT 1 FROM unnest(fresh) f WHERE f.code = s.code))
           -- the base has fewer than 4 rows for each of the delta's
           OR NOT EXISTS (SELECT 1 FROM facts.ranking_figure x
                           WHERE x.run_id = full_run.id
                          OFFSET greatest(4 * cardinality(delta) - 1, 0)) THEN
            -- a township dropped, or a delta too large: a full run
            run := report.store_ranking(p, d, ARRAY(
                SELECT f FROM report.stored_figures(prev.id) f WHERE f.code <> ALL (changed)
                UNION ALL
                SELECT f FROM unnest(fresh) f));
            UPDATE facts.ranking_run r
               SET inputs = bases[i], max_submission_id = max_id, cutoff = cut
             WHERE r.id = run;
        ELSE
            INSERT INTO facts.ranking_run (period, as_of, w_service, w_completion, w_coverage,
                                           base_run_id, inputs, max_submission_id, cutoff)
            VALUES (p, d, full_run.w_service, full_run.w_completion, full_run.w_coverage,
                    full_run.id, bases[i], max_id, cut)
            RETURNING id INTO run;
            PERFORM report.store_figures(run, delta);
        END IF;
        run_id := run;
        refreshed := true;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION report.refresh_rankings_if_changed(text[], date) IS
    '夜间任务用：一次刷新多个期间的排名；输入未变时沿用已保存的排名，只有部分乡镇的报送变化时只重算这些乡镇（各期间一次计算），并只保存与基准排名不同的乡镇';

-- One period: the same.
CREATE OR REPLACE FUNCTION report.refresh_ranking_if_changed(period text, as_of date)
RETURNS TABLE (run_id bigint, refreshed boolean)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
ROWS 1
AS $$
    SELECT x.run_id, x.refreshed FROM report.refresh_rankings_if_changed(ARRAY[$1], $2) x
$$;

-- period_bounds returns one row: said, for the plans of the queries that
-- join it (the planner assumed 1,000).
ALTER FUNCTION report.period_bounds(text) ROWS 1;

REVOKE ALL ON FUNCTION report.township_figures_of(date, date, date[], timestamptz, date, text[]),
    report.township_figures_for(text[], date, text[]),
    report.refresh_rankings_if_changed(text[], date)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION report.township_figures_for(text[], date, text[]) TO bizenv_analyst;
GRANT EXECUTE ON FUNCTION report.refresh_rankings_if_changed(text[], date) TO bizenv_loader;

REVOKE ALL ON FUNCTION report.stored_figures(bigint, text[]), report.stored_ranking(bigint),
    report.store_figures(bigint, report.figure[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION report.stored_figures(bigint, text[]), report.stored_ranking(bigint)
    TO bizenv_analyst;
