-- 020: the figures of metrics.md as SQL — period bounds, current revisions
-- as of a date, the township ranking, the county summary and the stored
-- ranking snapshots. Exports, receipts, the CLI and analysts all read these;
-- no C code recomputes a figure.
--
-- Every function that reads facts/ref/raw is SECURITY DEFINER with a fixed
-- search_path and fully qualified names, so bizenv_analyst can call it
-- without any privilege on those schemas (grants are in 021).
--
-- Decisions where metrics.md leaves room:
-- * As of D: a submission counts when received_at < start of D + 1 in the
--   county's time zone (ref.setting 'timezone', default Asia/Shanghai). Of
--   those, the highest revision per township and month is current.
-- * A month of P is expected when it has ended before D starts
--   (first day of the next month <= D): on 2026-11-01 October is expected.
-- * Townships listed: every active township, plus inactive ones that have a
--   current submission for a month of P (their history still ranks).
-- * months_reported counts expected months with a submission; figures use
--   every month of P present (months_present), even one not yet expected.
-- * The problem ledger looks at the current revisions of every month <= e
--   (not only months of P), so a problem carried in from before P counts.
-- * Leaders are identified by their leader id across months; windows by
--   catalog code, or for catalog 'other' by their submitted name.
-- * A township with no month of P present (未报送) gets NULL figures, zero
--   counts and no ranks, even if its older ledger has open problems.
-- * A missing ref.weight row counts as weight 1 (the default).

-- Period and time helpers ---------------------------------------------------

CREATE FUNCTION report.period_bounds(period text)
RETURNS TABLE (first_day date, last_day date, months date[])
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m text[];
    y int;
    a int;   -- first month of P (1..12)
    n int;   -- number of months in P
BEGIN
    IF period IS NULL THEN
        RAISE EXCEPTION '排名期间不能为空'
            USING ERRCODE = '22023', HINT = '期间格式：2026-10、2026-Q4、2026-H2 或 2026';
    END IF;
    IF period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$' THEN
        m := regexp_match(period, '^([0-9]{4})-([0-9]{2})$');
        y := m[1]::int; a := m[2]::int; n := 1;
    ELSIF period ~ '^[0-9]{4}-Q[1-4]$' THEN
        y := substr(period, 1, 4)::int; a := (substr(period, 7, 1)::int - 1) * 3 + 1; n := 3;
    ELSIF period ~ '^[0-9]{4}-H[12]$' THEN
        y := substr(period, 1, 4)::int; a := (substr(period, 7, 1)::int - 1) * 6 + 1; n := 6;
    ELSIF period ~ '^[0-9]{4}$' THEN
        y := period::int; a := 1; n := 12;
    ELSE
        RAISE EXCEPTION '无效的排名期间“%”', period
            USING ERRCODE = '22023', HINT = '期间格式：2026-10（月）、2026-Q4（季度）、2026-H2（半年）或 2026（年）';
    END IF;
    IF y < 1900 THEN
        RAISE EXCEPTION '无效的排名期间“%”', period
            USING ERRCODE = '22023', HINT = '年份应不早于 1900';
    END IF;
    first_day := make_date(y, a, 1);
    last_day := (first_day + make_interval(months => n) - interval '1 day')::date;
    months := ARRAY(SELECT (first_day + make_interval(months => k))::date
                    FROM generate_series(0, n - 1) AS k ORDER BY k);
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION report.period_bounds(text) IS
    '排名期间（2026-10 / 2026-Q4 / 2026-H2 / 2026）的首日、末日及所含月份（各月 1 日）；格式错误时报 SQLSTATE 22023';

-- The county's time zone (ref.setting 'timezone', default Asia/Shanghai).
CREATE FUNCTION report.county_timezone()
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT s.value FROM ref.setting s WHERE s.key = 'timezone'), 'Asia/Shanghai')
$$;
COMMENT ON FUNCTION report.county_timezone() IS '本县时区（ref.setting timezone，默认 Asia/Shanghai）';

-- End of day D in the county's time zone: submissions received before it count.
CREATE FUNCTION report.as_of_cutoff(as_of date)
RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT (($1 + 1)::timestamp AT TIME ZONE report.county_timezone())
$$;
COMMENT ON FUNCTION report.as_of_cutoff(date) IS '截至日期 D 当天结束的时刻（本县时区），此前收到的报送才计入';

-- The on-time deadline of a month: the end of day deadline_day of the
-- following month (ref.setting 'deadline_day', default 5), county time.
-- Returned as the first instant that is late.
CREATE FUNCTION report.deadline(month date)
RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ((date_trunc('month', $1)::date + interval '1 month')::date
            + coalesce((SELECT s.value::int FROM ref.setting s
                        WHERE s.key = 'deadline_day' AND s.value ~ '^[0-9]{1,2}$'), 5)
           )::timestamp AT TIME ZONE report.county_timezone()
$$;
COMMENT ON FUNCTION report.deadline(date) IS
    '该月报送的按时截止时刻（次月 deadline_day 日 24:00，本县时区）；首个接收版本在此之前到达即为按时';

-- The current revision per township and month as of D, with the receive
-- time of the month's first accepted revision (for timeliness).
CREATE FUNCTION report.current_submission(as_of date)
RETURNS TABLE (submission_id bigint, township_code text, period date, revision int,
               received_at timestamptz, first_received_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH counted AS (
        SELECT s.id, s.township_code, s.period, s.revision, s.received_at,
               min(s.received_at) OVER (PARTITION BY s.township_code, s.period) AS first_received_at
        FROM facts.submission s
        WHERE s.received_at < report.as_of_cutoff($1)
    )
    SELECT DISTINCT ON (c.township_code, c.period)
           c.id, c.township_code, c.period, c.revision, c.received_at, c.first_received_at
    FROM counted c
    ORDER BY c.township_code, c.period, c.revision DESC
$$;
COMMENT ON FUNCTION report.current_submission(date) IS
    '截至日期 D（当天结束前收到）各乡镇各月的现行版本（最高版本号），及该月首个接收版本的接收时间';

-- The ranking ---------------------------------------------------------------

CREATE FUNCTION report.ranking(period text,
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
-- Function scans are estimated at 1000 rows each, which pushes this query
-- past jit_above_cost; compiling it costs seconds, running it milliseconds.
SET jit = off
AS $$
-- Validates the period even when no township is listed.
SELECT report.period_bounds($1);
WITH
p AS (SELECT b.first_day AS s, b.last_day AS e, b.months FROM report.period_bounds($1) b),
d AS (SELECT coalesce($2, (now() AT TIME ZONE 'Asia/Shanghai')::date) AS as_of),
wt AS (
    SELECT coalesce(max(w.weight) FILTER (WHERE w.figure = 'service'), 1) AS ws,
           coalesce(max(w.weight) FILTER (WHERE w.figure = 'completion'), 1) AS wc,
           coalesce(max(w.weight) FILTER (WHERE w.figure = 'coverage'), 1) AS wv
    FROM ref.weight w
),
cur_all AS (   -- current revisions of every month up to e (the problem ledger)
    SELECT c.* FROM report.current_submission((SELECT d.as_of FROM d)) c, p WHERE c.period <= p.e
),
cur AS (SELECT c.* FROM cur_all c, p WHERE c.period = ANY (p.months)),
towns AS (
    SELECT t.code, t.name FROM ref.township t
    WHERE t.active OR EXISTS (SELECT 1 FROM cur c WHERE c.township_code = t.code)
),
expected AS (
    SELECT x.m FROM p, d, unnest(p.months) AS x(m)
    WHERE (x.m + interval '1 month')::date <= d.as_of
),
month_state AS (
    SELECT t.code, x.m, c.submission_id IS NOT NULL AS present,
           coalesce(c.first_received_at < report.deadline(x.m), false) AS on_time
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
           count(*) FILTER (WHERE l.found <= p.e AND (l.rectified IS NULL OR l.rectified >= p.s)) AS due,
           count(*) FILTER (WHERE l.found <= p.e AND l.rectified >= p.s AND l.rectified <= p.e) AS done
    FROM ledger l, p GROUP BY l.code
),
win AS (
    SELECT c.township_code AS code, w.submission_id, w.window_id,
           CASE WHEN w.catalog = 'other' THEN 'other:' || w.name ELSE w.catalog END AS wkey
    FROM cur c JOIN facts.window w ON w.submission_id = c.submission_id
),
coverage AS (
    SELECT w.code, count(DISTINCT w.wkey) AS listed,
           count(DISTINCT w.wkey) FILTER (WHERE EXISTS (
               SELECT 1 FROM facts.walk k
               WHERE k.submission_id = w.submission_id AND k.window_id = w.window_id)) AS walked
    FROM win w GROUP BY w.code
),
leaders AS (
    SELECT c.township_code AS code, count(DISTINCT l.leader_id) AS listed,
           count(DISTINCT l.leader_id) FILTER (WHERE EXISTS (
               SELECT 1 FROM facts.walk k
               WHERE k.submission_id = l.submission_id AND k.leader_id = l.leader_id)) AS walked
    FROM cur c JOIN facts.leader l ON l.submission_id = c.submission_id
    GROUP BY c.township_code
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
),
scored AS (
    SELECT f.*, wt.ws, wt.wc, wt.wv,
           CASE WHEN x.wsum > 0 THEN round(100 * x.wnum / x.wsum, 2) END AS composite
    FROM figures f CROSS JOIN wt
    CROSS JOIN LATERAL (
        SELECT coalesce(wt.ws * f.service_rate, 0) + coalesce(wt.wc * f.completion_rate, 0)
                   + coalesce(wt.wv * f.walk_coverage, 0) AS wnum,
               CASE WHEN f.service_rate IS NULL THEN 0 ELSE wt.ws END
                   + CASE WHEN f.completion_rate IS NULL THEN 0 ELSE wt.wc END
                   + CASE WHEN f.walk_coverage IS NULL THEN 0 ELSE wt.wv END AS wsum
    ) x
),
ranked AS (
    SELECT sc.*,
           CASE WHEN sc.composite IS NOT NULL THEN
               rank() OVER (ORDER BY sc.composite DESC NULLS LAST) END AS r_composite,
           CASE WHEN sc.service_rate IS NOT NULL THEN
               rank() OVER (ORDER BY round(sc.service_rate * 100, 2) DESC NULLS LAST) END AS r_service,
           CASE WHEN sc.completion_rate IS NOT NULL THEN
               rank() OVER (ORDER BY round(sc.completion_rate * 100, 2) DESC NULLS LAST) END AS r_completion,
           CASE WHEN sc.walk_coverage IS NOT NULL THEN
               rank() OVER (ORDER BY round(sc.walk_coverage * 100, 2) DESC NULLS LAST) END AS r_coverage
    FROM scored sc
)
SELECT r.code, r.name,
       r.service_rate, r.completion_rate, r.walk_coverage, r.leader_participation,
       r.composite,
       r.r_composite::int, r.r_service::int, r.r_completion::int, r.r_coverage::int,
       CASE WHEN r.present = 0 THEN '未报送'
            WHEN cardinality(r.missing) > 0 THEN '缺报'
            ELSE '已报送' END,
       r.missing,
       r.reported, r.expected,
       CASE WHEN r.expected > 0 THEN r.reported::numeric / r.expected END,
       CASE WHEN r.expected > 0 THEN r.on_time::numeric / r.expected END,
       r.handled, r.evaluated, r.due, r.done,
       r.windows_walked, r.windows_listed, r.leaders_walked, r.leaders_listed,
       r.ws, r.wc, r.wv,
       r.present, r.on_time
FROM ranked r
ORDER BY r.r_composite NULLS LAST, r.code
$$;
COMMENT ON FUNCTION report.ranking(text, date) IS
    '乡镇排名（metrics.md）：period 为 2026-10 / 2026-Q4 / 2026-H2 / 2026，as_of 为截至日期（默认今天，Asia/Shanghai）；按综合排名、乡镇代码排序';

-- The county summary ---------------------------------------------------------

-- Rejected submissions counted: raw.receipt rows (created by 002) with
-- outcome 'rejected' created before the end of D whose period is a month of
-- P; a rejection that names no period (an unreadable file) counts when it
-- was created within P's dates.
CREATE FUNCTION report.rejected_count(period text, as_of date)
RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT count(*)
    FROM report.period_bounds($1) b, raw.receipt r
    WHERE r.outcome = 'rejected'
      AND r.created_at < report.as_of_cutoff($2)
      AND CASE WHEN r.period IS NULL
               THEN r.created_at >= (b.first_day::timestamp AT TIME ZONE report.county_timezone())
                    AND r.created_at < report.as_of_cutoff(b.last_day)
               ELSE r.period = ANY (b.months) END
$$;
COMMENT ON FUNCTION report.rejected_count(text, date) IS
    '期间内被拒收的报送数：回执结果为 rejected、截至日期前生成，且报送月份属于该期间（无法识别月份的按生成日期落在期间内计）';

-- Township counts: listed = rows of report.ranking; expected = listed with
-- at least one month of P ended by D; reported = with at least one month
-- present (not 未报送); complete = every expected month present; on time =
-- every expected month's first revision by its deadline. County figures
-- pool the townships' counts (sum over sum). Best/worst compare the figure
-- rounded to 2 decimals as a percentage, as the ranks do; ties go to the
-- lowest code; NULL figures are skipped.
CREATE FUNCTION report.county_summary(period text,
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
           sum(r.windows_walked)::bigint AS walked, sum(r.windows_listed)::bigint AS wlisted,
           max(r.w_service) AS ws, max(r.w_completion) AS wc, max(r.w_coverage) AS wv
    FROM r
),
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
       CASE WHEN x.wsum > 0 THEN round(100 * x.wnum / x.wsum, 2) END,
       bs.code, bs.name, ws.code, ws.name,
       bc.code, bc.name, wc.code, wc.name,
       bv.code, bv.name, wv.code, wv.name,
       bx.code, bx.name, wx.code, wx.name,
       report.rejected_count($1, (SELECT d.as_of FROM d)),
       (SELECT warn.n FROM warn),
       coalesce(ra.ws, (SELECT coalesce(max(w.weight) FILTER (WHERE w.figure = 'service'), 1) FROM ref.weight w)),
       coalesce(ra.wc, (SELECT coalesce(max(w.weight) FILTER (WHERE w.figure = 'completion'), 1) FROM ref.weight w)),
       coalesce(ra.wv, (SELECT coalesce(max(w.weight) FILTER (WHERE w.figure = 'coverage'), 1) FROM ref.weight w))
FROM p
CROSS JOIN rates ra
CROSS JOIN LATERAL (
    SELECT coalesce(ra.ws * ra.sr, 0) + coalesce(ra.wc * ra.cr, 0) + coalesce(ra.wv * ra.vr, 0) AS wnum,
           CASE WHEN ra.sr IS NULL THEN 0 ELSE ra.ws END + CASE WHEN ra.cr IS NULL THEN 0 ELSE ra.wc END
               + CASE WHEN ra.vr IS NULL THEN 0 ELSE ra.wv END AS wsum
) x
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
    '全县汇总：应报/已报/报齐/按时乡镇数，全县服务率、整改完成率、走流程覆盖率（合计后相除），各项最好与最差乡镇（并列取代码最小者），拒收报送数与现行版本警告数';

-- Stored rankings ----------------------------------------------------------

CREATE TABLE facts.ranking_run (
    id            bigserial PRIMARY KEY,
    period        text NOT NULL,
    as_of         date NOT NULL,
    computed_at   timestamptz NOT NULL DEFAULT now(),
    w_service     numeric NOT NULL,
    w_completion  numeric NOT NULL,
    w_coverage    numeric NOT NULL
);
COMMENT ON TABLE facts.ranking_run IS 'one computed ranking (report.refresh_ranking): period, as-of date, when, and the weights used';

CREATE TABLE facts.ranking_snapshot (
    run_id                bigint NOT NULL REFERENCES facts.ranking_run (id),
    code                  text NOT NULL,
    name                  text NOT NULL,
    service_rate          numeric,
    completion_rate       numeric,
    walk_coverage         numeric,
    leader_participation  numeric,
    composite             numeric,
    composite_rank        int,
    service_rank          int,
    completion_rank       int,
    coverage_rank         int,
    status                text NOT NULL,
    missing_months        text[] NOT NULL,
    months_reported       int NOT NULL,
    months_expected       int NOT NULL,
    reporting_rate        numeric,
    on_time_rate          numeric,
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
COMMENT ON TABLE facts.ranking_snapshot IS 'the rows of one computed ranking, as report.ranking returned them';

CREATE FUNCTION report.refresh_ranking(period text,
                                       as_of date DEFAULT (pg_catalog.now() AT TIME ZONE 'Asia/Shanghai')::date)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off   -- see report.ranking
AS $$
DECLARE
    run bigint := nextval('facts.ranking_run_id_seq');
    d date := coalesce(as_of, (now() AT TIME ZONE 'Asia/Shanghai')::date);
BEGIN
    PERFORM report.period_bounds(period);
    -- One statement (one snapshot) computes the ranking and records the
    -- weights it carries, so the weights stored are the ones used.
    WITH r AS MATERIALIZED (SELECT * FROM report.ranking(period, d)),
    wt AS (
        SELECT coalesce(max(w.weight) FILTER (WHERE w.figure = 'service'), 1) AS ws,
               coalesce(max(w.weight) FILTER (WHERE w.figure = 'completion'), 1) AS wc,
               coalesce(max(w.weight) FILTER (WHERE w.figure = 'coverage'), 1) AS wv
        FROM ref.weight w
    ),
    header AS (
        INSERT INTO facts.ranking_run (id, period, as_of, w_service, w_completion, w_coverage)
        SELECT run, period, d, wt.ws, wt.wc, wt.wv FROM wt
        RETURNING id
    )
    INSERT INTO facts.ranking_snapshot
        (run_id, code, name, service_rate, completion_rate, walk_coverage, leader_participation,
         composite, composite_rank, service_rank, completion_rank, coverage_rank, status,
         missing_months, months_reported, months_expected, reporting_rate, on_time_rate,
         handled, evaluated, due, done, windows_walked, windows_listed, leaders_walked,
         leaders_listed, months_present, months_on_time)
    SELECT h.id, r.code, r.name, r.service_rate, r.completion_rate, r.walk_coverage,
           r.leader_participation, r.composite, r.composite_rank, r.service_rank,
           r.completion_rank, r.coverage_rank, r.status, r.missing_months, r.months_reported,
           r.months_expected, r.reporting_rate, r.on_time_rate, r.handled, r.evaluated, r.due,
           r.done, r.windows_walked, r.windows_listed, r.leaders_walked, r.leaders_listed,
           r.months_present, r.months_on_time
    FROM r CROSS JOIN header h;
    RETURN run;
END
$$;
COMMENT ON FUNCTION report.refresh_ranking(text, date) IS
    '计算并保存一次排名（facts.ranking_run / facts.ranking_snapshot，含所用权重），返回本次编号；夜间任务调用';
