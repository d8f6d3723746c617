-- Periods and time: what a period (2026-10, 2026-Q4, 2026-H2, 2026) spans,
-- and where a day begins and ends in the county.
--
-- The county's time zone is read in one place, report.county_timezone; the
-- end of a day D there is report.as_of_cutoff(D) (and the start of D is the
-- end of D - 1); today there is report.today(). Nothing else names a zone.
--
-- Every function that reads facts/ref/raw is SECURITY DEFINER with a fixed
-- search_path and fully qualified names, so bizenv_analyst can call it
-- without any privilege on those schemas.

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

-- Today in the county's time zone: the as-of date when none is given.
CREATE FUNCTION report.today()
RETURNS date
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT (now() AT TIME ZONE report.county_timezone())::date
$$;
COMMENT ON FUNCTION report.today() IS '本县时区的今天（未给截至日期时的默认截至日期）';

-- The on-time deadline of a month: the end of day deadline_day of the
-- following month (ref.setting 'deadline_day', default 5), county time.
-- Returned as the first instant that is late.
CREATE FUNCTION report.deadline(month date)
RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT report.as_of_cutoff(
        (date_trunc('month', $1)::date + interval '1 month')::date - 1
        + coalesce((SELECT s.value::int FROM ref.setting s
                    WHERE s.key = 'deadline_day' AND s.value ~ '^[0-9]{1,2}$'), 5))
$$;
COMMENT ON FUNCTION report.deadline(date) IS
    '该月报送的按时截止时刻（次月 deadline_day 日 24:00，本县时区）；首个接收版本在此之前到达即为按时';

-- The first and last day of a period and its months (the first day of
-- each). Returns one row (said: the planner would assume 1,000).
CREATE FUNCTION report.period_bounds(period text)
RETURNS TABLE (first_day date, last_day date, months date[])
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
ROWS 1
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

-- Sub-periods an export covers: every month, quarter, half and year whose
-- months all lie in P (a year covers 12 months, 4 quarters, 2 halves, itself).
CREATE FUNCTION report.sub_periods(period text)
RETURNS TABLE (label text, first_day date, months int)
LANGUAGE sql IMMUTABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH b AS (SELECT * FROM report.period_bounds($1)),
    c AS (
        SELECT k.n, m.d
        FROM b, (VALUES (1), (3), (6), (12)) AS k(n), unnest(b.months) AS m(d)
        WHERE (extract(month FROM m.d)::int - 1) % k.n = 0
          AND (m.d + make_interval(months => k.n) - interval '1 day')::date <= b.last_day
    )
    SELECT CASE c.n WHEN 1 THEN to_char(c.d, 'YYYY-MM')
                    WHEN 3 THEN to_char(c.d, 'YYYY') || '-Q' || ((extract(month FROM c.d)::int + 2) / 3)
                    WHEN 6 THEN to_char(c.d, 'YYYY') || '-H' || ((extract(month FROM c.d)::int + 5) / 6)
                    ELSE to_char(c.d, 'YYYY') END,
           c.d, c.n
    FROM c ORDER BY c.n, c.d
$$;
COMMENT ON FUNCTION report.sub_periods(text) IS '期间所含的各月、季度、半年和年（ADX 汇总逐一报送）';

-- A period in words, as the printed workbook's title names it: 2026年10月,
-- 2026年第四季度, 2026年下半年, 2026年度.
CREATE FUNCTION report.period_name(period text)
RETURNS text
LANGUAGE sql IMMUTABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT to_char(b.first_day, 'YYYY') || '年' ||
           CASE cardinality(b.months)
               WHEN 1 THEN extract(month FROM b.first_day)::int || '月'
               WHEN 3 THEN '第' || (ARRAY['一', '二', '三', '四'])[(extract(month FROM b.first_day)::int + 2) / 3] || '季度'
               WHEN 6 THEN CASE WHEN extract(month FROM b.first_day) = 1 THEN '上半年' ELSE '下半年' END
               ELSE '度' END
    FROM report.period_bounds($1) b
$$;
COMMENT ON FUNCTION report.period_name(text) IS
    '期间的中文名称：2026-10 为“2026年10月”，2026-Q4 为“2026年第四季度”，2026-H2 为“2026年下半年”，2026 为“2026年度”';

-- The period of the same kind just before P (the month, quarter, half or
-- year before); NULL when it would begin before 1900, which
-- report.period_bounds refuses.
CREATE FUNCTION report.previous_period(period text)
RETURNS text
LANGUAGE sql IMMUTABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN p.d < date '1900-01-01' THEN NULL
                WHEN p.n = 1 THEN to_char(p.d, 'YYYY-MM')
                WHEN p.n = 3 THEN to_char(p.d, 'YYYY') || '-Q' || ((extract(month FROM p.d)::int + 2) / 3)
                WHEN p.n = 6 THEN to_char(p.d, 'YYYY') || '-H' || ((extract(month FROM p.d)::int + 5) / 6)
                ELSE to_char(p.d, 'YYYY') END
    FROM (SELECT (b.first_day - make_interval(months => cardinality(b.months)))::date AS d,
                 cardinality(b.months) AS n
          FROM report.period_bounds($1) b) p
$$;
COMMENT ON FUNCTION report.previous_period(text) IS
    '同类上一期间：月的上一月、季度的上一季度、半年的上一半年、年的上一年（2026-01 的上期为 2025-12）；早于 1900 年时为空';

REVOKE ALL ON FUNCTION report.county_timezone(), report.as_of_cutoff(date), report.today(),
    report.deadline(date), report.period_bounds(text), report.sub_periods(text),
    report.period_name(text), report.previous_period(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION report.county_timezone(), report.as_of_cutoff(date), report.today(),
    report.deadline(date), report.period_bounds(text), report.sub_periods(text),
    report.period_name(text), report.previous_period(text) TO bizenv_analyst;
-- the as-of date's default in the functions the loader role may call
GRANT EXECUTE ON FUNCTION report.today() TO bizenv_loader;
