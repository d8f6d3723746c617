-- Exports for the prefecture: every export is recorded (meta.export, one
-- meta.export_file row per file with its SHA-256) and linked to earlier
-- exports of the same period: a reproduction (same as-of) says whether it
-- equals what was published; a later as-of says whether it changes the
-- published figures. The files themselves are written by export/ from
-- report.ranking and report.county_summary; nothing is recomputed here.

-- Whether two stored rankings differ in anything an export publishes of a
-- township (its figures, ranks and rates, not the counts behind them), or
-- in their weights.
CREATE FUNCTION meta.rankings_differ(a bigint, b bigint)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH published AS (
        SELECT k.run,
               (s.code, s.name, s.service_rate, s.completion_rate, s.walk_coverage,
                s.leader_participation, s.composite, s.composite_rank, s.service_rank,
                s.completion_rank, s.coverage_rank, s.status, s.missing_months,
                s.months_reported, s.months_expected, s.reporting_rate, s.on_time_rate) AS shown
        FROM unnest(ARRAY[$1, $2]) AS k(run)
        CROSS JOIN LATERAL report.stored_ranking(k.run) s
    ), weights AS (
        SELECT r.id, (r.w_service, r.w_completion, r.w_coverage) AS w
        FROM facts.ranking_run r WHERE r.id IN ($1, $2)
    )
    SELECT EXISTS (SELECT x.shown FROM published x WHERE x.run = $1
                   EXCEPT SELECT y.shown FROM published y WHERE y.run = $2)
        OR EXISTS (SELECT y.shown FROM published y WHERE y.run = $2
                   EXCEPT SELECT x.shown FROM published x WHERE x.run = $1)
        OR (SELECT w.w FROM weights w WHERE w.id = $1) IS DISTINCT FROM
           (SELECT w.w FROM weights w WHERE w.id = $2)
$$;
COMMENT ON FUNCTION meta.rankings_differ(bigint, bigint) IS
    'whether two stored rankings differ in a published figure, rank or rate of any township, or in their weights';

-- Records one export and links it to the earlier ones; returns the row.
-- kinds/names/shas/sizes: one element per file; build_version: the
-- writing bizenv's --version label; exported_at: when it was made (the
-- transaction's time; bizenv rebuild gives the time the journal recorded).
CREATE FUNCTION meta.record_export(period text, as_of date, county_code text, run_id bigint,
                                   kinds text[], names text[], shas text[], sizes bigint[],
                                   build_version text DEFAULT NULL,
                                   exported_at timestamptz DEFAULT NULL)
RETURNS meta.export
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    first_id bigint;
    first_run bigint;
    prev_id bigint;
    prev_run bigint;
    rec meta.export;
BEGIN
    SELECT x.id, x.ranking_run_id INTO first_id, first_run
    FROM meta.export x WHERE x.period = $1 AND x.as_of = $2 ORDER BY x.id LIMIT 1;
    SELECT x.id, x.ranking_run_id INTO prev_id, prev_run
    FROM meta.export x WHERE x.period = $1 AND x.as_of < $2 ORDER BY x.as_of DESC, x.id DESC LIMIT 1;
    INSERT INTO meta.export (period, as_of, county_code, ranking_run_id, reproduces_id,
                             reproduces_exactly, changes_id, build_version, exported_at)
    VALUES ($1, $2, $3, $4, first_id,
            CASE WHEN first_id IS NOT NULL THEN NOT meta.rankings_differ(first_run, $4) END,
            CASE WHEN prev_id IS NOT NULL AND meta.rankings_differ(prev_run, $4) THEN prev_id END,
            $9, coalesce($10, now()))
    RETURNING * INTO rec;
    INSERT INTO meta.export_file (export_id, kind, name, sha256, size)
    SELECT rec.id, f.kind, f.name, f.sha, f.size
    FROM unnest($5, $6, $7, $8) AS f(kind, name, sha, size);
    RETURN rec;
END
$$;
COMMENT ON FUNCTION meta.record_export(text, date, text, bigint, text[], text[], text[], bigint[], text, timestamptz) IS
    'records one export and its files, linked to the first export of the same period and as-of and to the earlier export whose published figures it changes';

-- What analysts read: each export, its weights and files, and whether a
-- later export of the period changed the published figures.
CREATE VIEW report.export_log AS
SELECT x.id, x.period, x.as_of, x.county_code, x.exported_at,
       r.w_service, r.w_completion, r.w_coverage,
       x.reproduces_id, x.reproduces_exactly, x.changes_id,
       (SELECT min(y.id) FROM meta.export y WHERE y.changes_id = x.id) AS changed_by_id,
       EXISTS (SELECT 1 FROM meta.export y WHERE y.changes_id = x.id) AS published_figures_changed,
       (SELECT array_agg(f.kind || ' ' || f.name || ' ' || f.sha256 ORDER BY f.kind)
        FROM meta.export_file f WHERE f.export_id = x.id) AS files,
       x.build_version
FROM meta.export x JOIN facts.ranking_run r ON r.id = x.ranking_run_id;
COMMENT ON VIEW report.export_log IS
    '导出记录：期间、截至日期、导出时间、所用权重、各文件 SHA-256；published_figures_changed = 之后的导出（更晚的截至日期）显示已发布的数字有变化';

COMMENT ON COLUMN report.export_log.id IS '导出记录编号';
COMMENT ON COLUMN report.export_log.period IS '排名期间';
COMMENT ON COLUMN report.export_log.as_of IS '截至日期';
COMMENT ON COLUMN report.export_log.county_code IS '本县代码';
COMMENT ON COLUMN report.export_log.exported_at IS '导出时间';
COMMENT ON COLUMN report.export_log.w_service IS '所用权重：服务率';
COMMENT ON COLUMN report.export_log.w_completion IS '所用权重：整改完成率';
COMMENT ON COLUMN report.export_log.w_coverage IS '所用权重：走流程覆盖率';
COMMENT ON COLUMN report.export_log.reproduces_id IS '同一期间、同一截至日期的首次导出（本次为重现）';
COMMENT ON COLUMN report.export_log.reproduces_exactly IS '重现时：数字与排名是否与首次导出完全一致';
COMMENT ON COLUMN report.export_log.changes_id IS '本次导出改变了其已发布数字的较早导出';
COMMENT ON COLUMN report.export_log.changed_by_id IS '显示本导出已发布数字有变化的较晚导出';
COMMENT ON COLUMN report.export_log.published_figures_changed IS '已发布的数字后来是否有变化';
COMMENT ON COLUMN report.export_log.files IS '导出文件：类型、文件名、SHA-256';
COMMENT ON COLUMN report.export_log.build_version IS '生成导出文件的 bizenv 版本与构建（bizenv --version）；升级 091 之前的导出为空';

-- Exports are recorded under the loader role, as the nightly job's other writes.
GRANT EXECUTE ON FUNCTION meta.rankings_differ(bigint, bigint),
    meta.record_export(text, date, text, bigint, text[], text[], text[], bigint[], text, timestamptz)
    TO bizenv_loader;
GRANT SELECT ON report.export_log TO bizenv_analyst;
