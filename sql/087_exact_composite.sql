-- 087: the composite in exact arithmetic, rounded once.
--
-- metrics.md: stored values are exact; only the composite is rounded, to 2
-- decimals. Before, the composite was the weighted mean of the three rates,
-- each already a numeric quotient rounded to about 20 digits: with weights
-- 1 : 1 : 3, service 5/8, no completion and coverage 2/6 the exact value is
-- (62.5 + 3 * 100/3) / 4 = 40.625, which rounds half up to 40.63; the
-- rounded 1/3 gave 40.62499999999999999975 and so 40.62.
--
-- report.composite computes it from the counts: the weighted sum of the
-- fractions over their common denominator with numeric multiplication and
-- addition (exact), the weights scaled to integers by a power of ten, then
-- one integer division (div) that rounds half up to hundredths. No
-- quotient is taken before that.
--
-- It replaces the composite of report.rank_figures (every township
-- ranking, the prefecture's county ranking, and stored rankings, which
-- are ranked when read) and of report.county_summary (the pooled counts).
-- The ranks keep their rules: they compare the rounded composite.

-- Weights are finite: NaN and Infinity pass 001's "weight >= 0" but are no
-- weight of a mean.
ALTER TABLE ref.weight ADD CONSTRAINT weight_finite CHECK (weight < 'Infinity');

-- The composite score of metrics.md: the weighted mean, as a percentage,
-- of the figures evaluated/handled, done/due and walked/listed whose
-- denominator is positive (the others are NULL and carry no weight);
-- rounded half up to 2 decimals; NULL when no present figure has weight.
-- One row, always.
--
-- An absent figure counts as n = 0, d = 1, w = 0. Over D = d1 d2 d3 the
-- weighted sum is num / D with num = w1 n1 d2 d3 + w2 n2 d1 d3 + w3 n3 d1 d2,
-- and the composite 100 num / (D wsum). The weights' decimals are scaled
-- away by 10^k (k = their largest scale), so num and wsum are integers;
-- the hundredths rounded half up are floor((20000 num + D wsum) / (2 D
-- wsum)), and div() truncating is the floor: counts and weights are
-- non-negative (the tables check it).
--
-- A set-returning SQL function so that the planner inlines it into the
-- query that joins it laterally (a plpgsql call per township took 20 us,
-- this takes 2, the rounded rates combined took 0.7): hence not SECURITY
-- DEFINER and no SET, as report.township_figures_of. It reads no table;
-- its callers fix the search path.
CREATE OR REPLACE FUNCTION report.composite(evaluated numeric, handled numeric,
                                            done numeric, due numeric,
                                            walked numeric, listed numeric,
                                            ws numeric, wc numeric, wv numeric)
RETURNS SETOF numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
ROWS 1
AS $$
SELECT CASE WHEN z.wsum > 0 THEN pg_catalog.div(20000 * z.num + z.den * z.wsum, 2 * z.den * z.wsum) * 0.01 END
FROM (SELECT (y.w1 * y.n1 * y.d2 * y.d3 + y.w2 * y.n2 * y.d1 * y.d3 + y.w3 * y.n3 * y.d1 * y.d2) * y.f AS num,
             y.d1 * y.d2 * y.d3 AS den,
             (y.w1 + y.w2 + y.w3) * y.f AS wsum
      FROM (SELECT CASE WHEN $2 > 0 THEN $1 ELSE 0 END AS n1,
                   CASE WHEN $2 > 0 THEN $2 ELSE 1 END AS d1,
                   CASE WHEN $2 > 0 THEN $7 ELSE 0 END AS w1,
                   CASE WHEN $4 > 0 THEN $3 ELSE 0 END AS n2,
                   CASE WHEN $4 > 0 THEN $4 ELSE 1 END AS d2,
                   CASE WHEN $4 > 0 THEN $8 ELSE 0 END AS w2,
                   CASE WHEN $6 > 0 THEN $5 ELSE 0 END AS n3,
                   CASE WHEN $6 > 0 THEN $6 ELSE 1 END AS d3,
                   CASE WHEN $6 > 0 THEN $9 ELSE 0 END AS w3,
                   10::numeric ^ greatest(pg_catalog.scale($7), pg_catalog.scale($8),
                                          pg_catalog.scale($9)) AS f) y
      OFFSET 0) z   -- computed once: flattened, each use of den and wsum recomputed them
$$;
COMMENT ON FUNCTION report.composite(numeric, numeric, numeric, numeric, numeric, numeric,
                                     numeric, numeric, numeric) IS
    '综合得分（一行）：服务率（评价/办件）、整改完成率（完成/应整改）、走流程覆盖率（走过/所列）中分母大于零者按权重加权平均的百分数，由计数精确计算，最后一次四舍五入到两位小数；无可计项或其权重和为零时为 NULL';

-- Composite, competition ranks on rounded values, rates, display order.
CREATE OR REPLACE FUNCTION report.rank_figures(f report.figure[], ws numeric, wc numeric, wv numeric)
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
    SELECT u.*, c.composite,
           round(u.service_rate * 100, 2) AS k_service,
           round(u.completion_rate * 100, 2) AS k_completion,
           round(u.walk_coverage * 100, 2) AS k_coverage
    FROM unnest($1) u
    CROSS JOIN LATERAL report.composite(u.evaluated, u.handled, u.done, u.due,
                                        u.windows_walked, u.windows_listed, $2, $3, $4) AS c(composite)
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
    '由各单位数字和权重计算综合得分（由计数精确计算，report.composite）、各项排名（竞争排名，按四舍五入到两位的百分数）、报送率与按时率，按综合排名、代码排序';

-- Township counts: listed = rows of report.ranking; expected = listed with
-- at least one month of P ended by D; reported = with at least one month
-- present (not 未报送); complete = every expected month present; on time =
-- every expected month's first revision by its deadline. County figures
-- pool the townships' counts (sum over sum), and so does the composite.
-- Best/worst compare the figure rounded to 2 decimals as a percentage, as
-- the ranks do; ties go to the lowest code; NULL figures are skipped.
CREATE OR REPLACE FUNCTION report.county_summary(period text,
                                      as_of date DEFAULT (pg_catalog.now() AT TIME ZONE 'Asia/Shanghai')::date)
RETURNS TABLE (
    first_day date, last_day date,
    townships_listed int, townships_expected int, townships_reported int,
    townships_complete int, townships_on_time int,
    handled bigint, evaluated bigint, service_rate numeric,
    due bigint, done bigint, completion_rate numeric,
    windows_walked bigint, windows_listed bigint, walk_coverage numeric,
    composite numeric,
    best_service_code text, best_service_name text, worst_service_code text, worst_service_name text,
    best_completion_code text, best_completion_name text, worst_completion_code text, worst_completion_name text,
    best_coverage_code text, best_coverage_name text, worst_coverage_code text, worst_coverage_name text,
    best_composite_code text, best_composite_name text, worst_composite_code text, worst_composite_name text,
    rejected_submissions bigint, warnings bigint,
    w_service numeric, w_completion numeric, w_coverage numeric
)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off   -- see report.ranking
AS $$
SELECT report.period_bounds($1);
WITH
d AS (SELECT coalesce($2, (now() AT TIME ZONE 'Asia/Shanghai')::date) AS as_of),
p AS (SELECT b.* FROM report.period_bounds($1) b),
r AS (SELECT x.* FROM d, report.ranking($1, d.as_of) x),
tot AS (
    SELECT count(*)::int AS listed,
           count(*) FILTER (WHERE r.months_expected > 0)::int AS expected,
           count(*) FILTER (WHERE r.status <> '未报送')::int AS reported,
           count(*) FILTER (WHERE r.months_expected > 0 AND r.months_reported = r.months_expected)::int AS complete,
           count(*) FILTER (WHERE r.months_expected > 0 AND r.months_on_time = r.months_expected)::int AS on_time,
           sum(r.handled)::bigint AS handled, sum(r.evaluated)::bigint AS evaluated,
           sum(r.due)::bigint AS due, sum(r.done)::bigint AS done,
           sum(r.windows_walked)::bigint AS walked, sum(r.windows_listed)::bigint AS wlisted
    FROM r
),
wt AS (SELECT w.* FROM report.weights() w),
rates AS (
    SELECT t.*,
           CASE WHEN t.handled > 0 THEN t.evaluated::numeric / t.handled END AS sr,
           CASE WHEN t.due > 0 THEN t.done::numeric / t.due END AS cr,
           CASE WHEN t.wlisted > 0 THEN t.walked::numeric / t.wlisted END AS vr
    FROM tot t
),
warn AS (
    SELECT count(*)::bigint AS n
    FROM d, p, report.current_submission(d.as_of) c
    JOIN facts.warning w ON w.submission_id = c.submission_id
    WHERE c.period = ANY (p.months)
)
SELECT p.first_day, p.last_day,
       coalesce(ra.listed, 0), coalesce(ra.expected, 0), coalesce(ra.reported, 0),
       coalesce(ra.complete, 0), coalesce(ra.on_time, 0),
       coalesce(ra.handled, 0), coalesce(ra.evaluated, 0), ra.sr,
       coalesce(ra.due, 0), coalesce(ra.done, 0), ra.cr,
       coalesce(ra.walked, 0), coalesce(ra.wlisted, 0), ra.vr,
       c.composite,
       bs.code, bs.name, ws.code, ws.name,
       bc.code, bc.name, wc.code, wc.name,
       bv.code, bv.name, wv.code, wv.name,
       bx.code, bx.name, wx.code, wx.name,
       report.rejected_count($1, (SELECT d.as_of FROM d)),
       (SELECT warn.n FROM warn),
       wt.w_service, wt.w_completion, wt.w_coverage
FROM p
CROSS JOIN rates ra
CROSS JOIN wt
CROSS JOIN LATERAL report.composite(ra.evaluated, ra.handled, ra.done, ra.due, ra.walked, ra.wlisted,
                                    wt.w_service, wt.w_completion, wt.w_coverage) AS c(composite)
LEFT JOIN LATERAL (SELECT r.code, r.name FROM r WHERE r.service_rate IS NOT NULL
                   ORDER BY round(r.service_rate * 100, 2) DESC, r.code LIMIT 1) bs ON true
LEFT JOIN LATERAL (SELECT r.code, r.name FROM r WHERE r.service_rate IS NOT NULL
                   ORDER BY round(r.service_rate * 100, 2), r.code LIMIT 1) ws ON true
LEFT JOIN LATERAL (SELECT r.code, r.name FROM r WHERE r.completion_rate IS NOT NULL
                   ORDER BY round(r.completion_rate * 100, 2) DESC, r.code LIMIT 1) bc ON true
LEFT JOIN LATERAL (SELECT r.code, r.name FROM r WHERE r.completion_rate IS NOT NULL
                   ORDER BY round(r.completion_rate * 100, 2), r.code LIMIT 1) wc ON true
LEFT JOIN LATERAL (SELECT r.code, r.name FROM r WHERE r.walk_coverage IS NOT NULL
                   ORDER BY round(r.walk_coverage * 100, 2) DESC, r.code LIMIT 1) bv ON true
LEFT JOIN LATERAL (SELECT r.code, r.name FROM r WHERE r.walk_coverage IS NOT NULL
                   ORDER BY round(r.walk_coverage * 100, 2), r.code LIMIT 1) wv ON true
LEFT JOIN LATERAL (SELECT r.code, r.name FROM r WHERE r.composite IS NOT NULL
                   ORDER BY r.composite DESC, r.code LIMIT 1) bx ON true
LEFT JOIN LATERAL (SELECT r.code, r.name FROM r WHERE r.composite IS NOT NULL
                   ORDER BY r.composite, r.code LIMIT 1) wx ON true
$$;
COMMENT ON FUNCTION report.county_summary(text, date) IS
    '全县汇总：应报/已报/报齐/按时乡镇数，全县服务率、整改完成率、走流程覆盖率（合计后相除）及由合计计数精确计算的综合得分，各项最好与最差乡镇（并列取代码最小者），拒收报送数与现行版本警告数';

REVOKE ALL ON FUNCTION report.composite(numeric, numeric, numeric, numeric, numeric, numeric,
                                        numeric, numeric, numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION report.composite(numeric, numeric, numeric, numeric, numeric, numeric,
                                           numeric, numeric, numeric) TO bizenv_analyst;
