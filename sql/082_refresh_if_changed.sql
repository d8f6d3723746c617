-- 082: a night refreshes a ranking only when its inputs changed.
--
-- A ranking of period P as of D depends on: the submissions (and, at a
-- prefecture, roll-ups) received by the end of D for the months up to P's
-- end, the months of P that have ended by D, the weights, the registry, and
-- the settings (deadline). When none of these changed since the period's
-- last stored ranking, recomputing it gives the same rows: the night keeps
-- the stored one, so a quiet night costs the same whatever the history.

ALTER TABLE facts.ranking_run ADD COLUMN inputs text;
COMMENT ON COLUMN facts.ranking_run.inputs IS
    'fingerprint of everything the ranking was computed from (report.ranking_inputs); NULL for rankings stored before 082';

CREATE FUNCTION report.ranking_inputs(period text, as_of date)
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH p AS (SELECT b.last_day AS e, b.months FROM report.period_bounds($1) b),
         c AS (SELECT report.as_of_cutoff($2) AS cut)
    SELECT concat_ws('|',
        (SELECT count(*) FROM p, unnest(p.months) AS m(m)
          WHERE (m.m + interval '1 month')::date <= $2),
        (SELECT count(*) || ':' || coalesce(max(s.id), 0)
           FROM facts.submission s, p, c
          WHERE s.period <= p.e AND s.received_at < c.cut),
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
COMMENT ON FUNCTION report.ranking_inputs(text, date) IS
    '排名输入的指纹：截至日期前收到的报送、已结束月份数、权重、名录与设置；相同则排名不变';

-- Returns the period's ranking run for as_of: the stored one when its
-- inputs are unchanged (refreshed = false), else a new one.
CREATE FUNCTION report.refresh_ranking_if_changed(period text, as_of date)
RETURNS TABLE (run_id bigint, refreshed boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    fp text := report.ranking_inputs($1, $2);
    last_id bigint;
    last_inputs text;
BEGIN
    SELECT r.id, r.inputs INTO last_id, last_inputs
      FROM facts.ranking_run r
     WHERE r.period = $1 AND r.inputs IS NOT NULL  -- exports store rankings without one
     ORDER BY r.id DESC LIMIT 1;
    IF last_id IS NOT NULL AND last_inputs = fp THEN
        run_id := last_id;
        refreshed := false;
        RETURN NEXT;
        RETURN;
    END IF;
    run_id := report.refresh_ranking($1, $2);
    UPDATE facts.ranking_run r SET inputs = fp WHERE r.id = run_id;
    refreshed := true;
    RETURN NEXT;
END
$$;

REVOKE ALL ON FUNCTION report.ranking_inputs(text, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION report.refresh_ranking_if_changed(text, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION report.ranking_inputs(text, date) TO bizenv_loader, bizenv_analyst;
GRANT EXECUTE ON FUNCTION report.refresh_ranking_if_changed(text, date) TO bizenv_loader;
