-- Stored rankings: what the nightly job and the exports keep of a ranking,
-- and how it is read back.
--
-- A stored ranking (facts.ranking_run + facts.ranking_figure) keeps each
-- township's figures and the weights it was computed with, not its ranks:
-- the composite, the ranks and the rates follow from those by
-- report.rank_figures and are computed when it is read
-- (report.stored_ranking), by the function that computes them for
-- report.ranking, so a stored ranking reads exactly as it was ranked. A run
-- is full (base_run_id NULL: one row per township) or a delta on a full run
-- (only the townships whose figures differ from it, sql/report/refresh.sql);
-- reading puts the two together.

-- The figures of a stored ranking: its own rows and, for a delta, its
-- base's rows of every other township; with codes, of those townships only.
CREATE FUNCTION report.stored_figures(run_id bigint, codes text[] DEFAULT NULL)
RETURNS SETOF report.figure
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $f$
BEGIN
    -- Planned for these values each time (EXECUTE): a few codes read their
    -- rows through the index, no codes read the run whole.
    RETURN QUERY EXECUTE $q$
    SELECT f.code, f.name, f.service_rate, f.completion_rate, f.walk_coverage,
           f.leader_participation, f.status, f.missing_months, f.months_reported,
           f.months_expected, f.handled, f.evaluated, f.due, f.done,
           f.windows_walked, f.windows_listed, f.leaders_walked, f.leaders_listed,
           f.months_present, f.months_on_time
      FROM facts.ranking_run r
      JOIN facts.ranking_figure f ON f.run_id IN (r.id, r.base_run_id)
     WHERE r.id = $1 AND ($2::text[] IS NULL OR f.code = ANY ($2))
       AND NOT EXISTS (SELECT 1 FROM facts.ranking_figure own
                        WHERE f.run_id = r.base_run_id AND own.run_id = r.id AND own.code = f.code)
    $q$ USING run_id, codes;
END
$f$;
COMMENT ON FUNCTION report.stored_figures(bigint, text[]) IS
    '已保存排名中各单位的数字（不含排名）；codes 非空时只取这些单位';

-- A stored ranking as report.ranking returns it: its figures ranked with
-- its own weights.
CREATE FUNCTION report.stored_ranking(run_id bigint)
RETURNS SETOF report.ranking_row
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

-- Stores figures as rows of run: facts.ranking_figure is run_id followed
-- by the attributes of report.figure, in order.
CREATE FUNCTION report.store_figures(run bigint, f report.figure[])
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO facts.ranking_figure SELECT $1, u.* FROM unnest($2) u
$$;
COMMENT ON FUNCTION report.store_figures(bigint, report.figure[]) IS '把各单位数字保存为某次排名的数字行';

-- Stores figures as one full ranking run with the weights in force.
CREATE FUNCTION report.store_ranking(period text, as_of date, f report.figure[])
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

-- Computes and stores a period's ranking as of D, in full (exports, and
-- the nightly when a period's inputs changed beyond its submissions).
CREATE FUNCTION report.refresh_ranking(period text, as_of date DEFAULT report.today())
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off   -- see report.township_figures
AS $$
DECLARE
    d date := coalesce(as_of, report.today());
BEGIN
    PERFORM report.period_bounds(period);
    RETURN report.store_ranking(period, d, report.figures(period, d));
END
$$;
COMMENT ON FUNCTION report.refresh_ranking(text, date) IS
    '计算并保存一次排名（facts.ranking_run / facts.ranking_figure，含所用权重），返回本次编号';

REVOKE ALL ON FUNCTION report.stored_figures(bigint, text[]), report.stored_ranking(bigint),
    report.store_figures(bigint, report.figure[]),
    report.store_ranking(text, date, report.figure[]), report.refresh_ranking(text, date)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION report.stored_figures(bigint, text[]), report.stored_ranking(bigint)
    TO bizenv_analyst;
-- Storing a ranking writes facts: the nightly job (loader role) only.
GRANT EXECUTE ON FUNCTION report.refresh_ranking(text, date) TO bizenv_loader;
