-- 083: figures per ranked unit, ranked once; a night recomputes only the
-- townships whose submissions changed.
--
-- Every figure of metrics.md belongs to one township (or, at a prefecture,
-- one county): only the composite's ranks compare units. So the ranking is
-- split in two, each written once:
--   report.township_figures(P, D [, codes])  the figures of some or all
--                                             townships (020's rules);
--   report.county_figures(P, D)               a prefecture's counties (060's);
--   report.rank_figures(figures, weights)     composite, ranks, rates, order.
-- report.ranking, report.township_ranking and report.county_ranking keep
-- their columns and results; they are now rank_figures over the figures.
--
-- A stored ranking remembers the highest submission id it had seen and the
-- as-of cut-off it counted by. When nothing else it depends on changed
-- (report.ranking_base), the next refresh of the period recomputes only the
-- townships with a submission it counts now but did not count then (or the
-- reverse: a new id, or a receive time between the two cut-offs), takes
-- every other township's figures from the stored rows and ranks them all
-- again. A township's figures depend on nothing but its own submissions,
-- the period, the ended months, the registry and the settings, so the
-- result is the full ranking's, row for row (tests/sql/incremental.sql
-- compares them); it costs one township's figures instead of all history.

CREATE TYPE report.figure AS (
    code                  text,
    name                  text,
    service_rate          numeric,
    completion_rate       numeric,
    walk_coverage         numeric,
    leader_participation  numeric,
    status                text,
    missing_months        text[],
    months_reported       int,
    months_expected       int,
    handled               bigint,
    evaluated             bigint,
    due                   bigint,
    done                  bigint,
    windows_walked        bigint,
    windows_listed        bigint,
    leaders_walked        bigint,
    leaders_listed        bigint,
    months_present        int,
    months_on_time        int
);
COMMENT ON TYPE report.figure IS '一个乡镇（州级为一个县）在某期间的各项数字（未排名）';

-- The weights in force (a missing row counts as 1).
CREATE FUNCTION report.weights()
RETURNS TABLE (w_service numeric, w_completion numeric, w_coverage numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(max(w.weight) FILTER (WHERE w.figure = 'service'), 1),
           coalesce(max(w.weight) FILTER (WHERE w.figure = 'completion'), 1),
           coalesce(max(w.weight) FILTER (WHERE w.figure = 'coverage'), 1)
    FROM ref.weight w
$$;
COMMENT ON FUNCTION report.weights() IS '现行权重（服务率、整改完成率、走流程覆盖率；未设置的按 1）';

-- Composite, competition ranks on rounded values, rates, display order.
CREATE FUNCTION report.rank_figures(f report.figure[], ws numeric, wc numeric, wv numeric)
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
LANGUAGE sql IMMUTABLE SECURITY DEFINER   -- reads no table; definer like every report function
SET search_path = pg_catalog, pg_temp
AS $$
WITH
scored AS (     -- the rounded values the ranks compare, computed once
    SELECT u.*,
           CASE WHEN x.wsum > 0 THEN round(100 * x.wnum / x.wsum, 2) END AS composite,
           round(u.service_rate * 100, 2) AS k_service,
           round(u.completion_rate * 100, 2) AS k_completion,
           round(u.walk_coverage * 100, 2) AS k_coverage
    FROM unnest($1) u
    CROSS JOIN LATERAL (
        SELECT coalesce($2 * u.service_rate, 0) + coalesce($3 * u.completion_rate, 0)
                   + coalesce($4 * u.walk_coverage, 0) AS wnum,
               CASE WHEN u.service_rate IS NULL THEN 0 ELSE $2 END
                   + CASE WHEN u.completion_rate IS NULL THEN 0 ELSE $3 END
                   + CASE WHEN u.walk_coverage IS NULL THEN 0 ELSE $4 END AS wsum
    ) x
),
ranked AS (
    SELECT sc.*,
           CASE WHEN sc.composite IS NOT NULL THEN
               rank() OVER (ORDER BY sc.composite DESC NULLS LAST) END AS r_composite,
           CASE WHEN sc.service_rate IS NOT NULL THEN
               rank() OVER (ORDER BY sc.k_service DESC NULLS LAST) END AS r_service,
           CASE WHEN sc.completion_rate IS NOT NULL THEN
               rank() OVER (ORDER BY sc.k_completion DESC NULLS LAST) END AS r_completion,
           CASE WHEN sc.walk_coverage IS NOT NULL THEN
               rank() OVER (ORDER BY sc.k_coverage DESC NULLS LAST) END AS r_coverage
    FROM scored sc
)
SELECT r.code, r.name,
       r.service_rate, r.completion_rate, r.walk_coverage, r.leader_participation,
       r.composite,
       r.r_composite::int, r.r_service::int, r.r_completion::int, r.r_coverage::int,
       r.status, r.missing_months,
       r.months_reported, r.months_expected,
       CASE WHEN r.months_expected > 0 THEN r.months_reported::numeric / r.months_expected END,
       CASE WHEN r.months_expected > 0 THEN r.months_on_time::numeric / r.months_expected END,
       r.handled, r.evaluated, r.due, r.done,
       r.windows_walked, r.windows_listed, r.leaders_walked, r.leaders_listed,
       $2, $3, $4,
       r.months_present, r.months_on_time
FROM ranked r
ORDER BY r.r_composite NULLS LAST, r.code
$$;
COMMENT ON FUNCTION report.rank_figures(report.figure[], numeric, numeric, numeric) IS
    '由各单位数字和权重计算综合得分、各项排名（竞争排名，按四舍五入到两位的百分数）、报送率与按时率，按综合排名、代码排序';

-- The township figures of P as of D (020's rules and decisions), for every
-- township listed or, with codes, only for those.
CREATE FUNCTION report.township_figures(period text, as_of date, codes text[] DEFAULT NULL)
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
win AS (       -- window keys: a window mapped to 'other' by its own name
    SELECT c.township_code AS code, w.submission_id, w.window_id,
           CASE WHEN w.catalog = 'other' THEN 'other:' || w.name ELSE w.catalog END AS wkey
    FROM cur c JOIN facts.window w ON w.submission_id = c.submission_id
),
coverage AS (
    SELECT l.code, l.listed, coalesce(k.walked, 0) AS walked
    FROM (SELECT w.code, count(DISTINCT w.wkey) AS listed FROM win w GROUP BY w.code) l
    LEFT JOIN (SELECT w.code, count(DISTINCT w.wkey) AS walked FROM win w
               WHERE EXISTS (SELECT 1 FROM facts.walk k
                             WHERE k.submission_id = w.submission_id AND k.window_id = w.window_id)
               GROUP BY w.code) k ON k.code = l.code
),
lead AS (
    SELECT c.township_code AS code, l.submission_id, l.leader_id
    FROM cur c JOIN facts.leader l ON l.submission_id = c.submission_id
),
leaders AS (
    SELECT l.code, l.listed, coalesce(k.walked, 0) AS walked
    FROM (SELECT l.code, count(DISTINCT l.leader_id) AS listed FROM lead l GROUP BY l.code) l
    LEFT JOIN (SELECT l.code, count(DISTINCT l.leader_id) AS walked FROM lead l
               WHERE EXISTS (SELECT 1 FROM facts.walk k
                             WHERE k.submission_id = l.submission_id AND k.leader_id = l.leader_id)
               GROUP BY l.code) k ON k.code = l.code
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
COMMENT ON FUNCTION report.township_figures(text, date, text[]) IS
    '各乡镇在期间内截至某日的数字（未排名）；codes 非空时只算这些乡镇';

-- A prefecture's counties: the pooled counts of each county's current
-- roll-up (060's rules).
CREATE FUNCTION report.county_figures(period text, as_of date)
RETURNS SETOF report.figure
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
SELECT report.period_bounds($1);
WITH
p AS (SELECT b.first_day AS s, b.last_day AS e, b.months, cardinality(b.months) AS n
      FROM report.period_bounds($1) b),
d AS (SELECT coalesce($2, (now() AT TIME ZONE 'Asia/Shanghai')::date) AS as_of),
received AS (SELECT r.* FROM facts.rollup r, d WHERE r.received_at < report.as_of_cutoff(d.as_of)),
cur_group AS (   -- the current roll-up's groups per county and (first day, months)
    SELECT DISTINCT ON (r.county_code, g.first_day, g.months)
           r.county_code, r.id AS rollup_id, g.first_day, g.months
    FROM received r JOIN facts.rollup_group g ON g.rollup_id = r.id
    ORDER BY r.county_code, g.first_day, g.months, r.as_of DESC, r.exported_at DESC, r.id DESC
),
sums AS (
    SELECT c.county_code AS code, c.first_day, c.months,
           sum(g.handled)::bigint AS handled, sum(g.evaluated)::bigint AS evaluated,
           sum(g.due)::bigint AS due, sum(g.done)::bigint AS done,
           sum(g.windows_listed)::bigint AS wl, sum(g.windows_walked)::bigint AS ww,
           sum(g.leaders_listed)::bigint AS ll, sum(g.leaders_walked)::bigint AS lw,
           sum(g.months_expected)::int AS expected, sum(g.months_reported)::int AS reported,
           sum(g.months_on_time)::int AS on_time
    FROM cur_group c JOIN facts.rollup_group g
      ON g.rollup_id = c.rollup_id AND g.first_day = c.first_day AND g.months = c.months
    GROUP BY c.county_code, c.first_day, c.months
),
whole AS (SELECT s.* FROM sums s, p WHERE s.first_day = p.s AND s.months = p.n),
towns AS (
    SELECT c.code, c.name FROM ref.county c
    WHERE c.active OR EXISTS (SELECT 1 FROM whole w WHERE w.code = c.code)
),
gaps AS (        -- ended months of P whose month group is missing or incomplete
    SELECT t.code, array_agg(to_char(x.m, 'YYYY-MM') ORDER BY x.m) AS missing
    FROM towns t CROSS JOIN p CROSS JOIN d CROSS JOIN unnest(p.months) AS x(m)
    LEFT JOIN sums s ON s.code = t.code AND s.first_day = x.m AND s.months = 1
    WHERE (x.m + interval '1 month')::date <= d.as_of
      AND (s.code IS NULL OR s.reported < s.expected)
    GROUP BY t.code
)
SELECT t.code, t.name,
       CASE WHEN w.handled > 0 THEN w.evaluated::numeric / w.handled END,
       CASE WHEN w.due > 0 THEN w.done::numeric / w.due END,
       CASE WHEN w.wl > 0 THEN w.ww::numeric / w.wl END,
       CASE WHEN w.ll > 0 THEN w.lw::numeric / w.ll END,
       CASE WHEN w.code IS NULL THEN '未报送'
            WHEN g.missing IS NOT NULL OR w.reported < w.expected THEN '缺报'
            ELSE '已报送' END,
       coalesce(g.missing, '{}'),
       coalesce(w.reported, 0), coalesce(w.expected, 0),
       coalesce(w.handled, 0), coalesce(w.evaluated, 0),
       coalesce(w.due, 0), coalesce(w.done, 0),
       coalesce(w.ww, 0), coalesce(w.wl, 0),
       coalesce(w.lw, 0), coalesce(w.ll, 0),
       coalesce(w.reported, 0), coalesce(w.on_time, 0)
FROM towns t
LEFT JOIN whole w ON w.code = t.code
LEFT JOIN gaps g ON g.code = t.code
ORDER BY t.code
$$;
COMMENT ON FUNCTION report.county_figures(text, date) IS
    '州级：各县在期间内截至某日的数字（由各县 ADX 汇总的计数合计，未排名）';

-- What this instance ranks: townships, or counties at a prefecture.
CREATE FUNCTION report.figures(period text, as_of date)
RETURNS report.figure[]
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
    SELECT CASE WHEN report.is_prefecture()
                THEN ARRAY(SELECT f FROM report.county_figures($1, $2) f)
                ELSE ARRAY(SELECT f FROM report.township_figures($1, $2) f) END
$$;
COMMENT ON FUNCTION report.figures(text, date) IS '本库排名对象（乡镇，州级为各县）在期间内截至某日的数字';

-- The three rankings, same columns and results as before, one rule set.
CREATE OR REPLACE FUNCTION report.township_ranking(period text,
                               as_of date DEFAULT (pg_catalog.now() AT TIME ZONE 'Asia/Shanghai')::date)
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
    SELECT r.* FROM report.weights() w,
           report.rank_figures(ARRAY(SELECT f FROM report.township_figures($1, $2) f),
                               w.w_service, w.w_completion, w.w_coverage) r
$$;

CREATE OR REPLACE FUNCTION report.county_ranking(period text,
                               as_of date DEFAULT (pg_catalog.now() AT TIME ZONE 'Asia/Shanghai')::date)
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
    SELECT r.* FROM report.weights() w,
           report.rank_figures(ARRAY(SELECT f FROM report.county_figures($1, $2) f),
                               w.w_service, w.w_completion, w.w_coverage) r
$$;

CREATE OR REPLACE FUNCTION report.ranking(period text,
                               as_of date DEFAULT (pg_catalog.now() AT TIME ZONE 'Asia/Shanghai')::date)
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
    SELECT r.* FROM report.weights() w,
           report.rank_figures(report.figures($1, $2), w.w_service, w.w_completion, w.w_coverage) r
$$;

-- Stored rankings -----------------------------------------------------------

-- Stores ranked figures as one ranking run with the weights used.
CREATE FUNCTION report.store_ranking(period text, as_of date, f report.figure[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    w record;
    run bigint;
BEGIN
    SELECT * INTO w FROM report.weights();
    INSERT INTO facts.ranking_run (period, as_of, w_service, w_completion, w_coverage)
    VALUES ($1, $2, w.w_service, w.w_completion, w.w_coverage)
    RETURNING id INTO run;
    INSERT INTO facts.ranking_snapshot
        (run_id, code, name, service_rate, completion_rate, walk_coverage, leader_participation,
         composite, composite_rank, service_rank, completion_rank, coverage_rank, status,
         missing_months, months_reported, months_expected, reporting_rate, on_time_rate,
         handled, evaluated, due, done, windows_walked, windows_listed, leaders_walked,
         leaders_listed, months_present, months_on_time)
    SELECT run, r.code, r.name, r.service_rate, r.completion_rate, r.walk_coverage,
           r.leader_participation, r.composite, r.composite_rank, r.service_rank,
           r.completion_rank, r.coverage_rank, r.status, r.missing_months, r.months_reported,
           r.months_expected, r.reporting_rate, r.on_time_rate, r.handled, r.evaluated, r.due,
           r.done, r.windows_walked, r.windows_listed, r.leaders_walked, r.leaders_listed,
           r.months_present, r.months_on_time
    FROM report.rank_figures($3, w.w_service, w.w_completion, w.w_coverage) r;
    RETURN run;
END
$$;
COMMENT ON FUNCTION report.store_ranking(text, date, report.figure[]) IS
    '按现行权重为各单位数字排名并保存为一次排名（facts.ranking_run / facts.ranking_snapshot），返回编号';

CREATE OR REPLACE FUNCTION report.refresh_ranking(period text,
                               as_of date DEFAULT (pg_catalog.now() AT TIME ZONE 'Asia/Shanghai')::date)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    d date := coalesce(as_of, (now() AT TIME ZONE 'Asia/Shanghai')::date);
BEGIN
    PERFORM report.period_bounds(period);
    RETURN report.store_ranking(period, d, report.figures(period, d));
END
$$;

ALTER TABLE facts.ranking_run
    ADD COLUMN max_submission_id bigint,
    ADD COLUMN cutoff timestamptz;
COMMENT ON COLUMN facts.ranking_run.inputs IS
    'what the ranking depends on besides the submissions (report.ranking_base); NULL for rankings not stored by report.refresh_ranking_if_changed';
COMMENT ON COLUMN facts.ranking_run.max_submission_id IS
    'highest facts.submission id when the ranking was computed (NULL before 083)';
COMMENT ON COLUMN facts.ranking_run.cutoff IS
    'the as-of cut-off it counted submissions by (report.as_of_cutoff)';

-- For the incremental refresh: submissions by receive time.
CREATE INDEX ON facts.submission (received_at);

-- Everything a ranking of P as of D depends on besides the submissions: the
-- months of P ended by D, the roll-ups (at a prefecture), the weights, the
-- registries and the settings. Cheap: no scan of the submissions.
CREATE FUNCTION report.ranking_base(period text, as_of date)
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH p AS (SELECT b.months FROM report.period_bounds($1) b),
         c AS (SELECT report.as_of_cutoff($2) AS cut)
    SELECT concat_ws('|',
        (SELECT count(*) FROM p, unnest(p.months) AS m(m)
          WHERE (m.m + interval '1 month')::date <= $2),
        (SELECT count(*) || ':' || coalesce(max(r.id), 0)
           FROM facts.rollup r, c WHERE r.received_at < c.cut),
        (SELECT md5(coalesce(string_agg(w.figure || '=' || w.weight, ',' ORDER BY w.figure), ''))
           FROM ref.weight w),
        (SELECT md5(coalesce(string_agg(t.code || t.name || t.active, ',' ORDER BY t.code), ''))
           FROM ref.township t),
        (SELECT md5(coalesce(string_agg(k.code || k.name || k.active, ',' ORDER BY k.code), ''))
           FROM ref.county k),
        (SELECT md5(coalesce(string_agg(x.key || '=' || x.value, ',' ORDER BY x.key), ''))
           FROM ref.setting x))
$$;
COMMENT ON FUNCTION report.ranking_base(text, date) IS
    '排名除报送外的全部输入的指纹：已结束月份数、县级汇总、权重、名录与设置';

DROP FUNCTION report.ranking_inputs(text, date);

-- The figures of a stored ranking, unranked again.
CREATE FUNCTION report.stored_figures(run_id bigint)
RETURNS SETOF report.figure
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.code, s.name, s.service_rate, s.completion_rate, s.walk_coverage,
           s.leader_participation, s.status, s.missing_months, s.months_reported,
           s.months_expected, s.handled, s.evaluated, s.due, s.done,
           s.windows_walked, s.windows_listed, s.leaders_walked, s.leaders_listed,
           s.months_present, s.months_on_time
    FROM facts.ranking_snapshot s
    WHERE s.run_id = $1
$$;
COMMENT ON FUNCTION report.stored_figures(bigint) IS '已保存排名中各单位的数字（不含排名）';

-- Returns the period's ranking run as of D: the stored one when nothing it
-- counts changed (refreshed = false); else a new one, recomputing only the
-- changed townships when the rest of its inputs are the same.
CREATE OR REPLACE FUNCTION report.refresh_ranking_if_changed(period text, as_of date)
RETURNS TABLE (run_id bigint, refreshed boolean)
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
    base text := report.ranking_base($1, d);
    cut timestamptz := report.as_of_cutoff(d);
    e date := (SELECT b.last_day FROM report.period_bounds($1) b);
    prev facts.ranking_run;
    changed text[];
    fresh report.figure[];
    stored report.figure[];
    run bigint;
BEGIN
    SELECT r.* INTO prev
      FROM facts.ranking_run r
     WHERE r.period = $1 AND r.inputs IS NOT NULL  -- exports store rankings without one
     ORDER BY r.id DESC LIMIT 1;
    IF prev.id IS NOT NULL AND prev.inputs = base AND prev.max_submission_id IS NOT NULL THEN
        IF report.is_prefecture() THEN
            changed := '{}';   -- counties rank on roll-ups only, which are in base
        ELSE
            -- townships with a submission counted now and not then, or then and not now
            changed := ARRAY(
                SELECT s.township_code FROM facts.submission s
                 WHERE s.id > prev.max_submission_id AND s.received_at < cut AND s.period <= e
                UNION
                SELECT s.township_code FROM facts.submission s
                 WHERE s.received_at >= least(cut, prev.cutoff)
                   AND s.received_at < greatest(cut, prev.cutoff)
                   AND s.id <= prev.max_submission_id AND s.period <= e
                ORDER BY 1);
        END IF;
        IF cardinality(changed) > 0 THEN
            fresh := ARRAY(SELECT f FROM report.township_figures($1, d, changed) f);
            stored := ARRAY(SELECT f FROM report.stored_figures(prev.id) f
                             WHERE f.code = ANY (changed));
        END IF;
        -- Nothing new counted, or the changed townships' figures came out
        -- the same (a new month outside P, a revision with the same
        -- counts): every row and rank is the stored one. The stored run
        -- now stands for these inputs.
        IF cardinality(changed) = 0
           OR NOT EXISTS (SELECT * FROM unnest(fresh) EXCEPT ALL SELECT * FROM unnest(stored)
                          UNION ALL
                          (SELECT * FROM unnest(stored) EXCEPT ALL SELECT * FROM unnest(fresh))) THEN
            IF cardinality(changed) > 0 THEN
                UPDATE facts.ranking_run r
                   SET max_submission_id = max_id, cutoff = cut
                 WHERE r.id = prev.id;
            END IF;
            run_id := prev.id;
            refreshed := false;
            RETURN NEXT;
            RETURN;
        END IF;
        run := report.store_ranking($1, d, ARRAY(
            SELECT f FROM report.stored_figures(prev.id) f WHERE f.code <> ALL (changed)
            UNION ALL
            SELECT f FROM unnest(fresh) f));
    ELSE
        run := report.refresh_ranking($1, d);
    END IF;
    UPDATE facts.ranking_run r
       SET inputs = base, max_submission_id = max_id, cutoff = cut
     WHERE r.id = run;
    run_id := run;
    refreshed := true;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION report.refresh_ranking_if_changed(text, date) IS
    '夜间任务用：输入未变时沿用已保存的排名；只有部分乡镇的报送变化时只重算这些乡镇，再整体排名';

REVOKE ALL ON FUNCTION report.weights(), report.rank_figures(report.figure[], numeric, numeric, numeric),
    report.township_figures(text, date, text[]), report.county_figures(text, date),
    report.figures(text, date), report.store_ranking(text, date, report.figure[]),
    report.ranking_base(text, date), report.stored_figures(bigint)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION report.weights(), report.rank_figures(report.figure[], numeric, numeric, numeric),
    report.township_figures(text, date, text[]), report.county_figures(text, date),
    report.figures(text, date), report.ranking_base(text, date), report.stored_figures(bigint)
    TO bizenv_analyst;
GRANT EXECUTE ON FUNCTION report.ranking_base(text, date) TO bizenv_loader;
