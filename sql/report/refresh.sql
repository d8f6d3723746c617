-- The nightly's rankings: a period's ranking is stored anew only when
-- something it counts changed, and then only the changed townships are
-- recomputed.
--
-- A ranking of P as of D depends on the submissions received by the end of
-- D for the months up to P's end, and on everything in report.ranking_base:
-- the months of P ended by D, the roll-ups (at a prefecture), the weights,
-- the registries and the settings. A stored run remembers its base, the
-- highest submission id it had seen and the cut-off it counted by. When its
-- base is unchanged, only the townships with a submission counted now and
-- not then (or the reverse) are recomputed; every other township's figures
-- are the stored ones, since a township's figures depend on nothing but its
-- own submissions and the base (tests/sql/incremental.sql checks each case
-- against the full report.ranking). Changed townships whose figures come
-- out the same keep the stored run; else the new run stores only the
-- townships that differ from the last full run (a delta), or everything
-- once that is more than a quarter of the townships.

-- Everything a ranking of P as of D depends on besides the submissions.
-- Cheap: no scan of the submissions.
CREATE FUNCTION report.ranking_base(period text, as_of date)
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH p AS (SELECT b.months FROM report.period_bounds($1) b),
         c AS (SELECT report.as_of_cutoff($2) AS cut)
    SELECT concat_ws('|',
        (SELECT count(*) FROM p, unnest(p.months) AS m(m)
          WHERE (m.m + interval '1 month')::date <= $2),
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
COMMENT ON FUNCTION report.ranking_base(text, date) IS
    '排名除报送外的全部输入的指纹：已结束月份数、县级汇总、权重、名录与设置';

-- Returns each period's ranking run as of D: the stored one when nothing it
-- counts changed (refreshed = false); else a new one. A period listed twice
-- is done once; rows come in the order of first mention. First each
-- period's stored run and changed townships, then the changed townships'
-- figures for every period in one query, then each period kept, stored as
-- a delta or stored in full.
CREATE FUNCTION report.refresh_rankings_if_changed(periods text[], as_of date)
RETURNS TABLE (period text, run_id bigint, refreshed boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    d date := coalesce($2, report.today());
    -- Read first: a submission committed after this has a higher id and is
    -- seen next time whether or not it is counted now. Loads and refreshes
    -- are serialised by the run lock (jobs/runlock.c), so no submission
    -- with a lower id can still be uncommitted.
    max_id bigint := (SELECT coalesce(max(s.id), 0) FROM facts.submission s);
    cut timestamptz := report.as_of_cutoff(d);
    prefecture boolean := report.is_prefecture();
    ps text[] := ARRAY(SELECT u.pp FROM unnest($1) WITH ORDINALITY AS u(pp, k)
                       GROUP BY u.pp ORDER BY min(u.k));
    bases text[];        -- per period: report.ranking_base
    prev_ids bigint[];   -- per period: the stored run to refresh from, or NULL
    ch_period text[] := '{}';   -- the (period, township) pairs to recompute
    ch_code text[] := '{}';
    fresh_period text[] := '{}';   -- their figures, by period
    fresh_all report.figure[] := '{}';
    p text;
    p_first date;
    p_last date;
    prev facts.ranking_run;
    full_run facts.ranking_run;
    changed text[];
    fresh report.figure[];
    stored report.figure[];
    delta report.figure[];
    run bigint;
BEGIN
    -- 1. Each period's inputs, stored run and changed townships.
    FOR i IN 1 .. coalesce(cardinality(ps), 0) LOOP
        p := ps[i];
        SELECT b.first_day, b.last_day INTO p_first, p_last FROM report.period_bounds(p) b;
        bases[i] := report.ranking_base(p, d);
        SELECT r.* INTO prev
          FROM facts.ranking_run r
         WHERE r.period = p AND r.inputs IS NOT NULL  -- exports store rankings without one
         ORDER BY r.id DESC LIMIT 1;
        IF prev.id IS NULL OR prev.inputs <> bases[i] OR prev.max_submission_id IS NULL THEN
            prev_ids[i] := NULL;   -- computed in full
            CONTINUE;
        END IF;
        prev_ids[i] := prev.id;
        IF prefecture THEN
            CONTINUE;   -- counties rank on roll-ups only, which are in base
        END IF;
        -- Townships with a submission up to P's end counted now and not
        -- then, or then and not now. One for a month before P counts only
        -- through the problem ledger, which counts only for a township
        -- with a submission in P (sql/report/figures.sql): for another
        -- township it changes nothing. (Had its submissions in P changed,
        -- one of them would be listed here itself.)
        changed := ARRAY(
            SELECT c.code
              FROM (SELECT s.township_code AS code, s.period FROM facts.submission s
                     WHERE s.id > prev.max_submission_id AND s.received_at < cut
                       AND s.period <= p_last
                    UNION
                    SELECT s.township_code, s.period FROM facts.submission s
                     WHERE s.received_at >= least(cut, prev.cutoff)
                       AND s.received_at < greatest(cut, prev.cutoff)
                       AND s.id <= prev.max_submission_id AND s.period <= p_last) c
             WHERE c.period >= p_first
                OR EXISTS (SELECT 1 FROM facts.submission x
                            WHERE x.township_code = c.code
                              AND x.period >= p_first AND x.period <= p_last
                              AND x.received_at < cut)
             GROUP BY c.code
             ORDER BY 1);
        ch_period := ch_period || array_fill(p, ARRAY[cardinality(changed)]);
        ch_code := ch_code || changed;
    END LOOP;

    -- 2. The changed townships' figures, every period at once.
    IF cardinality(ch_code) > 0 THEN
        SELECT coalesce(array_agg(x.period), '{}'), coalesce(array_agg(x.figure), '{}')
          INTO fresh_period, fresh_all
          FROM report.township_figures_for(ARRAY(SELECT DISTINCT unnest(ch_period)), d,
                                           ARRAY(SELECT DISTINCT unnest(ch_code))) x
         WHERE (x.period, (x.figure).code) IN (SELECT * FROM unnest(ch_period, ch_code));
    END IF;

    -- 3. Each period kept, stored as a delta, or stored in full.
    FOR i IN 1 .. coalesce(cardinality(ps), 0) LOOP
        p := ps[i];
        period := p;
        IF prev_ids[i] IS NULL THEN
            run := report.refresh_ranking(p, d);
            UPDATE facts.ranking_run r
               SET inputs = bases[i], max_submission_id = max_id, cutoff = cut
             WHERE r.id = run;
            run_id := run;
            refreshed := true;
            RETURN NEXT;
            CONTINUE;
        END IF;
        SELECT r.* INTO prev FROM facts.ranking_run r WHERE r.id = prev_ids[i];
        changed := ARRAY(SELECT u.c FROM unnest(ch_period, ch_code) AS u(pp, c)
                          WHERE u.pp = p ORDER BY u.c);
        IF cardinality(changed) > 0 THEN
            fresh := ARRAY(SELECT fresh_all[k] FROM generate_subscripts(fresh_period, 1) AS k
                            WHERE fresh_period[k] = p);
            stored := ARRAY(SELECT f FROM report.stored_figures(prev.id, changed) f);
        END IF;
        -- Nothing new counted, or the changed townships' figures came out
        -- the same (a revision with the same counts): the stored run
        -- stands, and now stands for these inputs.
        IF cardinality(changed) = 0
           OR NOT EXISTS (SELECT * FROM unnest(fresh) EXCEPT ALL SELECT * FROM unnest(stored)
                          UNION ALL
                          (SELECT * FROM unnest(stored) EXCEPT ALL SELECT * FROM unnest(fresh))) THEN
            IF (max_id, cut) IS DISTINCT FROM (prev.max_submission_id, prev.cutoff) THEN
                UPDATE facts.ranking_run r
                   SET max_submission_id = max_id, cutoff = cut
                 WHERE r.id = prev.id;
            END IF;
            run_id := prev.id;
            refreshed := false;
            RETURN NEXT;
            CONTINUE;
        END IF;
        SELECT r.* INTO full_run FROM facts.ranking_run r
         WHERE r.id = coalesce(prev.base_run_id, prev.id);
        -- The new run's townships that differ from the full run's: those
        -- prev already stored for itself and did not recompute, and the
        -- recomputed ones whose figures are not the full run's (its stored
        -- row is run_id and the figure: compared whole).
        delta := ARRAY(
            SELECT f FROM report.stored_figures(prev.id, ARRAY(
                       SELECT x.code FROM facts.ranking_figure x
                        WHERE x.run_id = prev.id AND prev.base_run_id IS NOT NULL
                          AND x.code <> ALL (changed))) f
            UNION ALL
            SELECT f FROM unnest(fresh) f
             WHERE NOT EXISTS (SELECT 1 FROM facts.ranking_figure b
                                WHERE b.run_id = full_run.id AND b.code = f.code
                                  AND b IS NOT DISTINCT FROM ROW(full_run.id, f.*)::facts.ranking_figure));
        IF EXISTS (SELECT 1 FROM unnest(stored) s
                    WHERE NOT EXISTS (SELECT 1 FROM unnest(fresh) f WHERE f.code = s.code))
           -- the base has fewer than 4 rows for each of the delta's
           OR NOT EXISTS (SELECT 1 FROM facts.ranking_figure x
                           WHERE x.run_id = full_run.id
                          OFFSET greatest(4 * cardinality(delta) - 1, 0)) THEN
            -- a township dropped, or a delta too large: a full run
            run := report.store_ranking(p, d, ARRAY(
                SELECT f FROM report.stored_figures(prev.id) f WHERE f.code <> ALL (changed)
                UNION ALL
                SELECT f FROM unnest(fresh) f));
            UPDATE facts.ranking_run r
               SET inputs = bases[i], max_submission_id = max_id, cutoff = cut
             WHERE r.id = run;
        ELSE
            INSERT INTO facts.ranking_run (period, as_of, w_service, w_completion, w_coverage,
                                           base_run_id, inputs, max_submission_id, cutoff)
            VALUES (p, d, full_run.w_service, full_run.w_completion, full_run.w_coverage,
                    full_run.id, bases[i], max_id, cut)
            RETURNING id INTO run;
            PERFORM report.store_figures(run, delta);
        END IF;
        run_id := run;
        refreshed := true;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION report.refresh_rankings_if_changed(text[], date) IS
    '夜间任务用：一次刷新多个期间的排名；输入未变时沿用已保存的排名，只有部分乡镇的报送变化时只重算这些乡镇（各期间一次计算），并只保存与基准排名不同的乡镇';

-- One period: the same. It returns one row: said, so that a query joining
-- it to the run's rows is not planned for a thousand.
CREATE FUNCTION report.refresh_ranking_if_changed(period text, as_of date)
RETURNS TABLE (run_id bigint, refreshed boolean)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
ROWS 1
AS $$
    SELECT x.run_id, x.refreshed FROM report.refresh_rankings_if_changed(ARRAY[$1], $2) x
$$;
COMMENT ON FUNCTION report.refresh_ranking_if_changed(text, date) IS
    '夜间任务用：输入未变时沿用已保存的排名；只有部分乡镇的报送变化时只重算这些乡镇，再整体排名';

REVOKE ALL ON FUNCTION report.ranking_base(text, date),
    report.refresh_rankings_if_changed(text[], date), report.refresh_ranking_if_changed(text, date)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION report.ranking_base(text, date) TO bizenv_analyst, bizenv_loader;
GRANT EXECUTE ON FUNCTION report.refresh_rankings_if_changed(text[], date),
    report.refresh_ranking_if_changed(text, date) TO bizenv_loader;
