-- 096: the bizenv build that made each run and each export, as
-- `bizenv --version` names it ("0.2.0 (v0.1.0-5-gb44802b)"), so a published
-- file names the build that made it (its SHA-256 is in meta.export_file).
-- Rows written before this migration keep NULL: not recorded.
-- The functions take it as a last parameter, NULL by default, so a caller
-- that does not pass it still works.

ALTER TABLE meta.run ADD COLUMN build_version text;
ALTER TABLE meta.export ADD COLUMN build_version text;
COMMENT ON COLUMN meta.run.build_version IS 'bizenv version and build that ran (bizenv --version); NULL before sql/096';
COMMENT ON COLUMN meta.export.build_version IS 'bizenv version and build that wrote the files (bizenv --version); NULL before sql/096';

DROP FUNCTION meta.run_begin(text, date, text, int);
CREATE FUNCTION meta.run_begin(kind text, as_of date, host text, pid int,
                               build_version text DEFAULT NULL)
RETURNS bigint
LANGUAGE sql
AS $$
    UPDATE meta.run SET status = 'aborted', finished_at = now(),
           error_text = coalesce(error_text, 'run ended without finishing (killed)')
     WHERE status = 'running';
    INSERT INTO meta.run (kind, as_of, host, pid, build_version)
    VALUES ($1, $2, $3, $4, $5) RETURNING id;
$$;

DROP FUNCTION meta.record_export(text, date, text, bigint, text[], text[], text[], bigint[]);
CREATE FUNCTION meta.record_export(period text, as_of date, county_code text, run_id bigint,
                                   kinds text[], names text[], shas text[], sizes bigint[],
                                   build_version text DEFAULT NULL)
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
                             reproduces_exactly, changes_id, build_version)
    VALUES ($1, $2, $3, $4, first_id,
            CASE WHEN first_id IS NOT NULL THEN NOT meta.rankings_differ(first_run, $4) END,
            CASE WHEN prev_id IS NOT NULL AND meta.rankings_differ(prev_run, $4) THEN prev_id END,
            $9)
    RETURNING * INTO rec;
    INSERT INTO meta.export_file (export_id, kind, name, sha256, size)
    SELECT rec.id, f.kind, f.name, f.sha, f.size
    FROM unnest($5, $6, $7, $8) AS f(kind, name, sha, size);
    RETURN rec;
END
$$;

-- report.export_log as before, the build appended
CREATE OR REPLACE VIEW report.export_log AS
SELECT x.id, x.period, x.as_of, x.county_code, x.exported_at,
       r.w_service, r.w_completion, r.w_coverage,
       x.reproduces_id, x.reproduces_exactly, x.changes_id,
       (SELECT min(y.id) FROM meta.export y WHERE y.changes_id = x.id) AS changed_by_id,
       EXISTS (SELECT 1 FROM meta.export y WHERE y.changes_id = x.id) AS published_figures_changed,
       (SELECT array_agg(f.kind || ' ' || f.name || ' ' || f.sha256 ORDER BY f.kind)
        FROM meta.export_file f WHERE f.export_id = x.id) AS files,
       x.build_version
FROM meta.export x JOIN facts.ranking_run r ON r.id = x.ranking_run_id;
COMMENT ON COLUMN report.export_log.build_version IS '生成导出文件的 bizenv 版本与构建（bizenv --version）；升级 096 之前的导出为空';
