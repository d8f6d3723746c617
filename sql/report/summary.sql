-- The county summary of a period: how many townships reported, the county's
-- pooled figures, the best and worst township of each, the rejections and
-- warnings. Read by the exports' summary sheet and by analysts.

-- Rejected submissions counted: raw.receipt rows with outcome 'rejected'
-- created before the end of D whose period is a month of P; a rejection
-- that names no period (an unreadable file) counts when it was created
-- within P's dates.
CREATE FUNCTION report.rejected_count(period text, as_of date)
RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT count(*)
    FROM report.period_bounds($1) b, raw.receipt r
    WHERE r.outcome = 'rejected'
      AND r.created_at < report.as_of_cutoff($2)
      AND CASE WHEN r.period IS NULL   -- from the start of P's first day to the end of its last
               THEN r.created_at >= report.as_of_cutoff(b.first_day - 1)
                    AND r.created_at < report.as_of_cutoff(b.last_day)
               ELSE r.period = ANY (b.months) END
$$;
COMMENT ON FUNCTION report.rejected_count(text, date) IS
    '期间内被拒收的报送数：回执结果为 rejected、截至日期前生成，且报送月份属于该期间（无法识别月份的按生成日期落在期间内计）';

-- Township counts: listed = rows of report.ranking; expected = listed with
-- at least one month of P ended by D; reported = with at least one month
-- present (not 未报送); complete = every expected month present; on time =
-- every expected month's first revision by its deadline. County figures
-- pool the townships' counts (sum over sum), and so does the composite
-- (report.composite, with the weights in force: those report.ranking used,
-- read in the same snapshot). Best/worst compare the figure rounded to 2
-- decimals as a percentage, as the ranks do; ties go to the lowest code;
-- NULL figures are skipped.
CREATE FUNCTION report.county_summary(period text, as_of date DEFAULT report.today())
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
SET jit = off   -- see report.township_figures
AS $$
SELECT report.period_bounds($1);
WITH
d AS (SELECT coalesce($2, report.today()) AS as_of),
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

REVOKE ALL ON FUNCTION report.rejected_count(text, date), report.county_summary(text, date)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION report.rejected_count(text, date), report.county_summary(text, date)
    TO bizenv_analyst;
