-- What a township's feedback page (反馈单) of an export lists besides its
-- figures: its problems still open at the end of the period, and the
-- warnings its reports for the period raised. Both read the same reports
-- the figures count: the current revisions received by the end of D.

-- The problem ledger at the end of P as of D, as the figures read it
-- (sql/report/figures.sql): each problem as last reported in a month up
-- to P's last day, by the current revisions received by the end of D;
-- listed when found by then and not rectified by then — the problems in
-- a completion rate's `due` and not in its `done`. A problem whose report
-- gives a rectification date after P is listed with that date: at the end
-- of P it was open. Every township's ledger is listed, also one 未报送 in
-- P (its figures count no problem, but they are still open).
CREATE FUNCTION report.open_problems(period text, as_of date DEFAULT report.today())
RETURNS TABLE (township_code text, problem_id text, source text, status text, found date,
               deadline date, rectified date, description text, last_month text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH
    b AS (SELECT x.last_day FROM report.period_bounds($1) x),
    ledger AS (
        SELECT DISTINCT ON (c.township_code, pr.problem_id)
               c.township_code, pr.problem_id, pr.source, pr.status, pr.found, pr.deadline,
               pr.rectified, pr.description, c.period
        FROM b, report.current_submission(coalesce($2, report.today())) c
        JOIN facts.problem pr ON pr.submission_id = c.submission_id
        WHERE c.period <= b.last_day
        ORDER BY c.township_code, pr.problem_id, c.period DESC
    )
    SELECT l.township_code, l.problem_id, l.source, l.status, l.found, l.deadline,
           l.rectified, l.description, to_char(l.period, 'YYYY-MM')
    FROM b, ledger l
    WHERE l.found <= b.last_day AND (l.rectified IS NULL OR l.rectified > b.last_day)
    ORDER BY l.township_code, l.found, l.problem_id
$$;
COMMENT ON FUNCTION report.open_problems(text, date) IS
    '期末仍未整改的问题：按截至日期前收到的各月现行版本，每个问题取期间末日及以前最近一次报送的状态，发现日期不晚于期间末日且期间末日前未整改完成的列出（与整改完成率中“应整改未完成”一致）。'
    '列：township_code 乡镇代码，problem_id 问题编号，source 来源（walk 走流程，supervision 监督检查，complaint 投诉，other 其他），'
    'status 最近一次报送的状态（open 未整改，rectifying 整改中，rectified 已整改），found 发现日期，deadline 整改期限，'
    'rectified 整改完成日期（期间之后完成的；未完成为空），description 问题描述，last_month 最近一次报送该问题的月份；按乡镇、发现日期、编号排序';

-- The warnings of the reports that count in P as of D: the current
-- revisions received by the end of D of P's months (the county summary
-- counts the same), in the order of their receipts.
CREATE FUNCTION report.period_warnings(period text, as_of date DEFAULT report.today())
RETURNS TABLE (township_code text, month text, revision int, ord int, code text, path text,
               message text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.township_code, to_char(c.period, 'YYYY-MM'), c.revision, w.ord, w.code, w.path,
           w.message
    FROM report.period_bounds($1) b,
         report.current_submission(coalesce($2, report.today())) c
    JOIN facts.warning w ON w.submission_id = c.submission_id
    WHERE c.period = ANY (b.months)
    ORDER BY c.township_code, c.period, w.ord
$$;
COMMENT ON FUNCTION report.period_warnings(text, date) IS
    '期间内计入排名的报送（截至日期前收到的各月现行版本）附带的警告。'
    '列：township_code 乡镇代码，month 报送月份（YYYY-MM），revision 版本号，ord 在该报送警告中的顺序，'
    'code 警告代码（如 W_RATE_MISMATCH），path 报表中的位置，message 警告内容；按乡镇、月份、顺序排序';

REVOKE ALL ON FUNCTION report.open_problems(text, date), report.period_warnings(text, date)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION report.open_problems(text, date), report.period_warnings(text, date)
    TO bizenv_analyst;
