-- Change over time: each unit's rank and composite against the previous
-- period of the same kind, and its composite month by month. The exports
-- (较上期 and 趋势) and analysts read these; both only compare rows of
-- report.ranking, which computes every figure.
--
-- Decisions where the issue leaves room:
-- * Both periods are ranked as of the same date D: the previous period as
--   it stands at D, its late reports and revisions received by then
--   included. So a movement, like every figure, is reproduced exactly by
--   the same as-of date, whatever arrived since.
-- * Movement compares composite ranks (competition ranks: a tie shares a
--   rank). Up is a smaller rank: 4th → 2nd is ↑2. A unit ranked now and
--   not ranked in the previous period (not listed then, or 未报送) is 新;
--   one not ranked now has no movement.

-- The composite rank and score of each unit in P as of D, those of the
-- previous period (report.previous_period) as of the same D, and the
-- change between them; in the order of report.ranking. (Not a ranked row:
-- its columns are not named like report.ranking_row's.)
CREATE FUNCTION report.ranking_change(period text, as_of date DEFAULT report.today())
RETURNS TABLE (code text, name text, current_rank int, composite numeric,
               previous_period text, previous_rank int, previous_composite numeric,
               rank_change int, movement text, composite_change numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off   -- see report.township_figures
AS $$
    WITH
    d AS (SELECT coalesce($2, report.today()) AS as_of, report.previous_period($1) AS prev),
    cur AS (SELECT r.* FROM d, report.ranking($1, d.as_of) r),
    pre AS (   -- no previous period before 1900: everyone is new
        SELECT r.* FROM d, report.ranking(coalesce(d.prev, $1), d.as_of) r WHERE d.prev IS NOT NULL
    )
    SELECT c.code, c.name, c.composite_rank, c.composite,
           d.prev, p.composite_rank, p.composite,
           p.composite_rank - c.composite_rank,
           CASE WHEN c.composite_rank IS NULL THEN NULL
                WHEN p.composite_rank IS NULL THEN '新'
                WHEN p.composite_rank > c.composite_rank THEN '↑' || (p.composite_rank - c.composite_rank)
                WHEN p.composite_rank < c.composite_rank THEN '↓' || (c.composite_rank - p.composite_rank)
                ELSE '–' END,
           c.composite - p.composite
    FROM d CROSS JOIN cur c
    LEFT JOIN pre p ON p.code = c.code
    ORDER BY c.composite_rank NULLS LAST, c.code
$$;
COMMENT ON FUNCTION report.ranking_change(text, date) IS
    '较上期：期间内各单位（乡镇，州级为县）的综合排名和综合得分，与同类上一期间（上月、上季度、上半年、上年，report.previous_period）在同一截至日期的排名和得分比较。'
    '列：code 代码，name 名称，current_rank 本期综合排名，composite 本期综合得分，previous_period 上一期间，'
    'previous_rank 上期综合排名，previous_composite 上期综合得分，rank_change 名次变化（上期排名减本期排名，正数为上升），'
    'movement 较上期（↑2 上升两位，↓1 下降一位，– 不变，新 上期未排名；本期未排名为空），'
    'composite_change 综合得分变化（本期减上期，任一期无得分时为空）；按本期综合排名、代码排序';

-- The composite of each unit of P's ranking, month by month: one row per
-- unit and month of P begun by D (as the ADX roll-up reports them), in the
-- order of P's ranking, then month. A month in which the unit has no
-- figure (not listed, 未报送, or not yet reported) has a NULL composite.
CREATE FUNCTION report.ranking_trend(period text, as_of date DEFAULT report.today())
RETURNS TABLE (code text, name text, month text, composite numeric, month_rank int)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
    WITH
    d AS (SELECT coalesce($2, report.today()) AS as_of),
    r AS (SELECT x.code, x.name, row_number() OVER (ORDER BY x.composite_rank NULLS LAST, x.code) AS ord
          FROM d, report.ranking($1, d.as_of) x),
    m AS (SELECT sp.label, sp.first_day FROM d, report.sub_periods($1) sp
          WHERE sp.months = 1 AND sp.first_day <= d.as_of),
    mr AS (SELECT m.label, x.code, x.composite, x.composite_rank
           FROM d CROSS JOIN m CROSS JOIN LATERAL report.ranking(m.label, d.as_of) x)
    SELECT r.code, r.name, m.label, mr.composite, mr.composite_rank
    FROM r CROSS JOIN m
    LEFT JOIN mr ON mr.label = m.label AND mr.code = r.code
    ORDER BY r.ord, m.first_day
$$;
COMMENT ON FUNCTION report.ranking_trend(text, date) IS
    '逐月趋势：期间排名中的各单位在期间内截至日期前已开始的每个月的综合得分和综合排名（各月单独排名，截至日期相同）。'
    '列：code 代码，name 名称，month 月份（YYYY-MM），composite 该月综合得分（无得分为空），month_rank 该月综合排名；'
    '按期间综合排名、代码、月份排序';

REVOKE ALL ON FUNCTION report.ranking_change(text, date), report.ranking_trend(text, date)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION report.ranking_change(text, date), report.ranking_trend(text, date)
    TO bizenv_analyst;
