-- The figures of metrics.md: every number a ranking shows is computed in
-- this file and nowhere else. The CLI, receipts, exports, the nightly's
-- stored rankings and analysts all read them through report.ranking
-- (sql/report/ranking.sql) or the functions here.
--
--   report.township_figures_of  the figures query: each township's service
--                               rate, rectification completion, walk
--                               coverage, leader participation and
--                               completeness, unranked (report.figure);
--   report.county_figures       the same for a prefecture's counties, from
--                               the pooled counts of their ADX roll-ups;
--   report.composite            the composite score of one unit, exact,
--                               from its counts and the weights;
--   report.rank_figures         the composite of each unit, the ranks, the
--                               reporting and on-time rates, the order
--                               (report.ranking_row).
--
-- Decisions where metrics.md leaves room:
-- * As of D: a submission counts when received_at < the end of D in the
--   county's time zone (report.as_of_cutoff). Of those, the highest
--   revision per township and month is current.
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
-- * A prefecture: the current roll-up of a county for a period P is the one
--   with the latest (as_of, exported_at) among those received by the end of
--   D that carry a group for exactly P; a county's counts are the sums over
--   the townships of that roll-up, its completeness counts township-months,
--   and it is 缺报 when some township-month is missing.

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

-- The figures query. The townships listed in P = [$1, $2] ($3: its months)
-- counting submissions received before $4, with the months ended by $5
-- expected; $6: only those townships (NULL: all). Its arguments are
-- unnamed, so no name in it can mean one. Inlined into the statement that
-- calls it, so the planner sees through it (one township's figures read
-- its own rows through the indexes, a year scans): hence not SECURITY
-- DEFINER and no SET — its callers fix the search path, and only they may
-- execute it.
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

-- The township figures of P as of D, for every township listed or, with
-- codes, only for those.
CREATE FUNCTION report.township_figures(period text, as_of date, codes text[] DEFAULT NULL)
RETURNS SETOF report.figure
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- Function scans are estimated at 1000 rows each, which pushes the
-- rankings past jit_above_cost; compiling costs seconds, running
-- milliseconds. The same holds for every function that reads figures.
SET jit = off
AS $f$
DECLARE
    d date := coalesce(as_of, report.today());
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
COMMENT ON FUNCTION report.township_figures(text, date, text[]) IS
    '各乡镇在期间内截至某日的数字（未排名）；codes 非空时只算这些乡镇';

-- The figures of some townships in several periods at once: (period,
-- figures) for every period and listed township among codes, in one query
-- planned once (the nightly's changed townships).
CREATE FUNCTION report.township_figures_for(periods text[], as_of date, codes text[])
RETURNS TABLE (period text, figure report.figure)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $f$
DECLARE
    d date := coalesce(as_of, report.today());
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

-- A prefecture's counties: the pooled counts of each county's current
-- roll-up.
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
d AS (SELECT coalesce($2, report.today()) AS as_of),
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

CREATE FUNCTION report.is_prefecture()
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM ref.county) $$;
COMMENT ON FUNCTION report.is_prefecture() IS '本库是否为州级（登记了县名录）：是则排名对象为各县';

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

-- The composite score of metrics.md: the weighted mean, as a percentage,
-- of the figures evaluated/handled, done/due and walked/listed whose
-- denominator is positive (the others are NULL and carry no weight);
-- rounded half up to 2 decimals; NULL when no present figure has weight.
-- One row, always. metrics.md: stored values are exact; only the composite
-- is rounded, and only once. The rates themselves are numeric quotients
-- rounded to about 20 digits: with weights 1 : 1 : 3, service 5/8, no
-- completion and coverage 2/6 the exact value is (62.5 + 3 * 100/3) / 4 =
-- 40.625, which rounds half up to 40.63, while a mean of the rates gives
-- 40.62499999999999999975 and so 40.62. Hence computed from the counts,
-- with no quotient taken before the one rounding.
--
-- An absent figure counts as n = 0, d = 1, w = 0. Over D = d1 d2 d3 the
-- weighted sum is num / D with num = w1 n1 d2 d3 + w2 n2 d1 d3 + w3 n3 d1 d2,
-- and the composite 100 num / (D wsum). The weights' decimals are scaled
-- away by 10^k (k = their largest scale), so num and wsum are integers;
-- the hundredths rounded half up are floor((20000 num + D wsum) / (2 D
-- wsum)), and div() truncating is the floor: counts and weights are
-- non-negative and weights finite (the tables check it; migration 089).
--
-- A set-returning SQL function so that the planner inlines it into the
-- query that joins it laterally (a plpgsql call per township took 20 us,
-- this takes 2, the rounded rates combined took 0.7): hence not SECURITY
-- DEFINER and no SET, as report.township_figures_of. It reads no table;
-- its callers fix the search path.
CREATE FUNCTION report.composite(evaluated numeric, handled numeric,
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

-- The composite score of each unit (report.composite), competition ranks
-- on the values rounded as shown, the reporting and on-time rates, and the
-- display order. Every unit's ranks compare it with the others: this is
-- the only step that does.
CREATE FUNCTION report.rank_figures(f report.figure[], ws numeric, wc numeric, wv numeric)
RETURNS SETOF report.ranking_row
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

REVOKE ALL ON FUNCTION report.current_submission(date),
    report.township_figures_of(date, date, date[], timestamptz, date, text[]),
    report.township_figures(text, date, text[]), report.township_figures_for(text[], date, text[]),
    report.county_figures(text, date), report.is_prefecture(), report.figures(text, date),
    report.weights(), report.composite(numeric, numeric, numeric, numeric, numeric, numeric,
                                       numeric, numeric, numeric),
    report.rank_figures(report.figure[], numeric, numeric, numeric)
    FROM PUBLIC;
-- The figures query alone is not granted: it runs only inside the functions above.
GRANT EXECUTE ON FUNCTION report.current_submission(date),
    report.township_figures(text, date, text[]), report.township_figures_for(text[], date, text[]),
    report.county_figures(text, date), report.is_prefecture(), report.figures(text, date),
    report.weights(), report.composite(numeric, numeric, numeric, numeric, numeric, numeric,
                                       numeric, numeric, numeric),
    report.rank_figures(report.figure[], numeric, numeric, numeric)
    TO bizenv_analyst;
