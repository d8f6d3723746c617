-- The rankings analysts, the CLI and the exports ask for: the figures of
-- sql/report/figures.sql, ranked there by report.rank_figures with the
-- weights in force. Each returns report.ranking_row, ordered by composite
-- rank, then code.
--
-- report.ranking ranks what the instance ranks: townships in a county,
-- counties in a prefecture (a database with counties in ref.county), so
-- every caller (rank, nightly, county summary, exports) works at either
-- level; report.township_ranking and report.county_ranking name one.

CREATE FUNCTION report.township_ranking(period text, as_of date DEFAULT report.today())
RETURNS SETOF report.ranking_row
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off   -- see report.township_figures
AS $$
    SELECT r.* FROM report.weights() w,
           report.rank_figures(ARRAY(SELECT f FROM report.township_figures($1, $2) f),
                               w.w_service, w.w_completion, w.w_coverage) r
$$;
COMMENT ON FUNCTION report.township_ranking(text, date) IS
    '乡镇排名（metrics.md）：period 为 2026-10 / 2026-Q4 / 2026-H2 / 2026，as_of 为截至日期（默认本县时区的今天）；按综合排名、乡镇代码排序';

CREATE FUNCTION report.county_ranking(period text, as_of date DEFAULT report.today())
RETURNS SETOF report.ranking_row
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
    SELECT r.* FROM report.weights() w,
           report.rank_figures(ARRAY(SELECT f FROM report.county_figures($1, $2) f),
                               w.w_service, w.w_completion, w.w_coverage) r
$$;
COMMENT ON FUNCTION report.county_ranking(text, date) IS
    '州级：各县排名，规则同乡镇排名，数字由各县 ADX 汇总的计数合计后计算；报送数按乡镇·月计';

CREATE FUNCTION report.ranking(period text, as_of date DEFAULT report.today())
RETURNS SETOF report.ranking_row
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
    SELECT r.* FROM report.weights() w,
           report.rank_figures(report.figures($1, $2), w.w_service, w.w_completion, w.w_coverage) r
$$;
COMMENT ON FUNCTION report.ranking(text, date) IS
    '排名（metrics.md）：县级库为乡镇排名，州级库（登记了县名录）为各县排名；period 为 2026-10 / 2026-Q4 / 2026-H2 / 2026，as_of 为截至日期；按综合排名、代码排序';

REVOKE ALL ON FUNCTION report.township_ranking(text, date), report.county_ranking(text, date),
    report.ranking(text, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION report.township_ranking(text, date), report.county_ranking(text, date),
    report.ranking(text, date) TO bizenv_analyst;
