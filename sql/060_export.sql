-- 060: exports for the prefecture, and the prefecture level itself.
--
-- County side: meta.export records every export (period, as-of, weights
-- through its stored ranking run, one row per file with its SHA-256), and
-- links it to earlier exports of the same period: a reproduction (same
-- as-of) says whether it equals what was published; a later as-of says
-- whether it changes the published figures.
--
-- Prefecture side: an instance whose ref.county holds rows is a prefecture.
-- It ingests the counties' ADX roll-ups into facts.rollup/rollup_group, and
-- report.ranking ranks counties instead of townships, with the same rules,
-- from the pooled counts (metrics.md, "One level up").
--
-- Decisions:
-- * The current roll-up of a county for a period P is the one with the
--   latest (as_of, exported_at) among those received by the end of D that
--   carry a group for exactly P; older roll-ups stay stored (history).
-- * A county's counts for P are the sums over the townships of that roll-up.
--   Completeness columns (months_reported/expected/on_time) then count
--   township-months; status 缺报 when some township-month is missing, with
--   the months whose month groups show a gap (or no month group at all).

-- Exports ---------------------------------------------------------------------

CREATE TABLE meta.export (
    id                 bigserial PRIMARY KEY,
    period             text NOT NULL,
    as_of              date NOT NULL,
    county_code        text NOT NULL,
    exported_at        timestamptz NOT NULL DEFAULT now(),
    ranking_run_id     bigint NOT NULL REFERENCES facts.ranking_run (id),
    reproduces_id      bigint REFERENCES meta.export (id),
    reproduces_exactly boolean,
    changes_id         bigint REFERENCES meta.export (id),
    CHECK ((reproduces_id IS NULL) = (reproduces_exactly IS NULL))
);
COMMENT ON TABLE meta.export IS
    'one export (bizenv export): period, as-of date, time, the stored ranking (facts.ranking_run: weights and rows); reproduces_id = the first export of the same period and as-of, reproduces_exactly = same figures and ranks; changes_id = the latest earlier-as-of export of the period whose published figures this one changes';

CREATE TABLE meta.export_file (
    export_id  bigint NOT NULL REFERENCES meta.export (id),
    kind       text NOT NULL CHECK (kind IN ('xlsx', 'csv', 'adx')),
    name       text NOT NULL,
    sha256     text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size       bigint NOT NULL CHECK (size >= 0),
    PRIMARY KEY (export_id, kind)
);
COMMENT ON TABLE meta.export_file IS 'the files of one export, with their SHA-256';

-- Non-zero when two stored rankings differ in any published figure or rank.
CREATE FUNCTION meta.rankings_differ(a bigint, b bigint)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH x AS (
        SELECT s.code, s.name, s.service_rate, s.completion_rate, s.walk_coverage,
               s.leader_participation, s.composite, s.composite_rank, s.service_rank,
               s.completion_rank, s.coverage_rank, s.status, s.missing_months,
               s.months_reported, s.months_expected, s.reporting_rate, s.on_time_rate
        FROM facts.ranking_snapshot s WHERE s.run_id = $1
    ), y AS (
        SELECT s.code, s.name, s.service_rate, s.completion_rate, s.walk_coverage,
               s.leader_participation, s.composite, s.composite_rank, s.service_rank,
               s.completion_rank, s.coverage_rank, s.status, s.missing_months,
               s.months_reported, s.months_expected, s.reporting_rate, s.on_time_rate
        FROM facts.ranking_snapshot s WHERE s.run_id = $2
    )
    SELECT EXISTS (SELECT * FROM x EXCEPT SELECT * FROM y)
        OR EXISTS (SELECT * FROM y EXCEPT SELECT * FROM x)
        OR (SELECT (r.w_service, r.w_completion, r.w_coverage) FROM facts.ranking_run r WHERE r.id = $1)
           IS DISTINCT FROM
           (SELECT (r.w_service, r.w_completion, r.w_coverage) FROM facts.ranking_run r WHERE r.id = $2)
$$;

-- Records one export and links it to the earlier ones; returns the row.
-- kinds/names/shas/sizes: one element per file.
CREATE FUNCTION meta.record_export(period text, as_of date, county_code text, run_id bigint,
                                   kinds text[], names text[], shas text[], sizes bigint[])
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
                             reproduces_exactly, changes_id)
    VALUES ($1, $2, $3, $4, first_id,
            CASE WHEN first_id IS NOT NULL THEN NOT meta.rankings_differ(first_run, $4) END,
            CASE WHEN prev_id IS NOT NULL AND meta.rankings_differ(prev_run, $4) THEN prev_id END)
    RETURNING * INTO rec;
    INSERT INTO meta.export_file (export_id, kind, name, sha256, size)
    SELECT rec.id, f.kind, f.name, f.sha, f.size
    FROM unnest($5, $6, $7, $8) AS f(kind, name, sha, size);
    RETURN rec;
END
$$;

-- What analysts read: each export, its weights and files, and whether a
-- later export of the period changed the published figures.
CREATE VIEW report.export_log AS
SELECT x.id, x.period, x.as_of, x.county_code, x.exported_at,
       r.w_service, r.w_completion, r.w_coverage,
       x.reproduces_id, x.reproduces_exactly, x.changes_id,
       (SELECT min(y.id) FROM meta.export y WHERE y.changes_id = x.id) AS changed_by_id,
       EXISTS (SELECT 1 FROM meta.export y WHERE y.changes_id = x.id) AS published_figures_changed,
       (SELECT array_agg(f.kind || ' ' || f.name || ' ' || f.sha256 ORDER BY f.kind)
        FROM meta.export_file f WHERE f.export_id = x.id) AS files
FROM meta.export x JOIN facts.ranking_run r ON r.id = x.ranking_run_id;
COMMENT ON VIEW report.export_log IS
    '导出记录：期间、截至日期、导出时间、所用权重、各文件 SHA-256；published_figures_changed = 之后的导出（更晚的截至日期）显示已发布的数字有变化';

-- Sub-periods an export covers: every month, quarter, half and year whose
-- months all lie in P (a year covers 12 months, 4 quarters, 2 halves, itself).
CREATE FUNCTION report.sub_periods(period text)
RETURNS TABLE (label text, first_day date, months int)
LANGUAGE sql IMMUTABLE
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

-- The prefecture level -------------------------------------------------------

CREATE TABLE ref.county (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
    name        text NOT NULL CHECK (name <> ''),
    active      boolean NOT NULL DEFAULT true,
    added_at    timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ref.county IS 'prefecture only: the registry of counties whose ADX roll-ups are accepted; an instance with rows here ranks counties';

CREATE TABLE facts.rollup (
    id                 bigserial PRIMARY KEY,
    county_code        text NOT NULL REFERENCES ref.county (code),
    county_name_given  text NOT NULL,
    period             text NOT NULL,
    as_of              date NOT NULL,
    exported_at        timestamptz NOT NULL,
    doc_sha256         text NOT NULL,
    file_sha256        text NOT NULL REFERENCES raw.file (sha256),
    member             text NOT NULL DEFAULT '',
    received_at        timestamptz NOT NULL,
    loaded_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (county_code, doc_sha256)
);
COMMENT ON TABLE facts.rollup IS 'prefecture: every ADX roll-up accepted from a county, none deleted';

CREATE TABLE facts.rollup_group (
    rollup_id        bigint NOT NULL REFERENCES facts.rollup (id),
    township_code    text NOT NULL CHECK (township_code ~ '^[0-9]{9}$'),
    township_name    text NOT NULL,
    first_day        date NOT NULL CHECK (extract(day FROM first_day) = 1),
    months           int NOT NULL CHECK (months IN (1, 3, 6, 12)),
    handled          bigint NOT NULL CHECK (handled >= 0),
    evaluated        bigint NOT NULL CHECK (evaluated BETWEEN 0 AND handled),
    due              bigint NOT NULL CHECK (due >= 0),
    done             bigint NOT NULL CHECK (done BETWEEN 0 AND due),
    windows_listed   bigint NOT NULL CHECK (windows_listed >= 0),
    windows_walked   bigint NOT NULL CHECK (windows_walked BETWEEN 0 AND windows_listed),
    leaders_listed   bigint NOT NULL CHECK (leaders_listed >= 0),
    leaders_walked   bigint NOT NULL CHECK (leaders_walked BETWEEN 0 AND leaders_listed),
    months_expected  int NOT NULL CHECK (months_expected >= 0),
    months_reported  int NOT NULL CHECK (months_reported BETWEEN 0 AND months_expected),
    months_on_time   int NOT NULL CHECK (months_on_time BETWEEN 0 AND months_expected),
    PRIMARY KEY (rollup_id, township_code, first_day, months)
);
COMMENT ON TABLE facts.rollup_group IS 'prefecture: one ADX group = one township and period of a roll-up, with its counts';

CREATE INDEX ON facts.rollup_group (first_day, months);

-- Stores one roll-up. groups: a JSON array of objects with the columns of
-- facts.rollup_group (without rollup_id). Returns 'accepted', 'duplicate'
-- (same county and document SHA-256) or 'unknown_county'.
CREATE FUNCTION load.merge_rollup(county_code text, county_name text, period text, as_of date,
                                  exported_at timestamptz, doc_sha256 text, file_sha256 text,
                                  member text, received_at timestamptz, groups jsonb)
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rid bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ref.county c WHERE c.code = $1 AND c.active) THEN
        RETURN 'unknown_county';
    END IF;
    -- serialize loads of one county, as the township loads are
    PERFORM pg_advisory_xact_lock(hashtext('bizenv rollup ' || $1));
    IF EXISTS (SELECT 1 FROM facts.rollup r WHERE r.county_code = $1 AND r.doc_sha256 = $6) THEN
        RETURN 'duplicate';
    END IF;
    INSERT INTO facts.rollup (county_code, county_name_given, period, as_of, exported_at,
                              doc_sha256, file_sha256, member, received_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    RETURNING id INTO rid;
    INSERT INTO facts.rollup_group
    SELECT rid, g.township_code, g.township_name, g.first_day, g.months, g.handled, g.evaluated,
           g.due, g.done, g.windows_listed, g.windows_walked, g.leaders_listed, g.leaders_walked,
           g.months_expected, g.months_reported, g.months_on_time
    FROM jsonb_to_recordset($10) AS g(township_code text, township_name text, first_day date,
        months int, handled bigint, evaluated bigint, due bigint, done bigint,
        windows_listed bigint, windows_walked bigint, leaders_listed bigint,
        leaders_walked bigint, months_expected int, months_reported int, months_on_time int);
    RETURN 'accepted';
END
$$;

-- Registry of counties: adds, renames, reactivates; marks missing inactive.
CREATE FUNCTION load.county_registry(codes text[], names text[],
                                     OUT added int, OUT renamed int, OUT inactivated int)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    SELECT count(*) FILTER (WHERE c.code IS NULL), count(*) FILTER (WHERE c.name <> x.name)
    INTO added, renamed
    FROM unnest($1, $2) AS x(code, name) LEFT JOIN ref.county c ON c.code = x.code;
    INSERT INTO ref.county (code, name)
    SELECT x.code, x.name FROM unnest($1, $2) AS x(code, name)
    ON CONFLICT (code) DO UPDATE SET name = excluded.name, active = true, updated_at = now()
    WHERE ref.county.name <> excluded.name OR NOT ref.county.active;
    UPDATE ref.county c SET active = false, updated_at = now()
    WHERE c.active AND NOT (c.code = ANY ($1));
    GET DIAGNOSTICS inactivated = ROW_COUNT;
END
$$;

CREATE FUNCTION report.is_prefecture()
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM ref.county) $$;
COMMENT ON FUNCTION report.is_prefecture() IS '本库是否为州级（登记了县名录）：是则排名对象为各县';

-- The county ranking of a prefecture: report.ranking's columns and rules.
CREATE FUNCTION report.county_ranking(period text,
                                      as_of date DEFAULT (pg_catalog.now() AT TIME ZONE 'Asia/Shanghai')::date)
RETURNS TABLE (
    code text, name text,
    service_rate numeric, completion_rate numeric, walk_coverage numeric, leader_participation numeric,
    composite numeric,
    composite_rank int, service_rank int, completion_rank int, coverage_rank int,
    status text, missing_months text[],
    months_reported int, months_expected int, reporting_rate numeric, on_time_rate numeric,
    handled bigint, evaluated bigint, due bigint, done bigint,
    windows_walked bigint, windows_listed bigint, leaders_walked bigint, leaders_listed bigint,
    w_service numeric, w_completion numeric, w_coverage numeric,
    months_present int, months_on_time int
)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
SELECT report.period_bounds($1);
WITH
p AS (SELECT b.first_day AS s, b.last_day AS e, b.months, cardinality(b.months) AS n
      FROM report.period_bounds($1) b),
d AS (SELECT coalesce($2, (now() AT TIME ZONE 'Asia/Shanghai')::date) AS as_of),
wt AS (
    SELECT coalesce(max(w.weight) FILTER (WHERE w.figure = 'service'), 1) AS ws,
           coalesce(max(w.weight) FILTER (WHERE w.figure = 'completion'), 1) AS wc,
           coalesce(max(w.weight) FILTER (WHERE w.figure = 'coverage'), 1) AS wv
    FROM ref.weight w
),
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
),
figures AS (
    SELECT t.code, t.name, w.code IS NOT NULL AS present,
           CASE WHEN w.handled > 0 THEN w.evaluated::numeric / w.handled END AS service_rate,
           CASE WHEN w.due > 0 THEN w.done::numeric / w.due END AS completion_rate,
           CASE WHEN w.wl > 0 THEN w.ww::numeric / w.wl END AS walk_coverage,
           CASE WHEN w.ll > 0 THEN w.lw::numeric / w.ll END AS leader_participation,
           coalesce(w.handled, 0) AS handled, coalesce(w.evaluated, 0) AS evaluated,
           coalesce(w.due, 0) AS due, coalesce(w.done, 0) AS done,
           coalesce(w.ww, 0) AS windows_walked, coalesce(w.wl, 0) AS windows_listed,
           coalesce(w.lw, 0) AS leaders_walked, coalesce(w.ll, 0) AS leaders_listed,
           coalesce(w.reported, 0) AS reported, coalesce(w.expected, 0) AS expected,
           coalesce(w.on_time, 0) AS on_time,
           coalesce(g.missing, '{}') AS missing
    FROM towns t
    LEFT JOIN whole w ON w.code = t.code
    LEFT JOIN gaps g ON g.code = t.code
),
scored AS (
    SELECT f.*, wt.ws, wt.wc, wt.wv,
           CASE WHEN x.wsum > 0 THEN round(100 * x.wnum / x.wsum, 2) END AS composite
    FROM figures f CROSS JOIN wt
    CROSS JOIN LATERAL (
        SELECT coalesce(wt.ws * f.service_rate, 0) + coalesce(wt.wc * f.completion_rate, 0)
                   + coalesce(wt.wv * f.walk_coverage, 0) AS wnum,
               CASE WHEN f.service_rate IS NULL THEN 0 ELSE wt.ws END
                   + CASE WHEN f.completion_rate IS NULL THEN 0 ELSE wt.wc END
                   + CASE WHEN f.walk_coverage IS NULL THEN 0 ELSE wt.wv END AS wsum
    ) x
),
ranked AS (
    SELECT sc.*,
           CASE WHEN sc.composite IS NOT NULL THEN
               rank() OVER (ORDER BY sc.composite DESC NULLS LAST) END AS r_composite,
           CASE WHEN sc.service_rate IS NOT NULL THEN
               rank() OVER (ORDER BY round(sc.service_rate * 100, 2) DESC NULLS LAST) END AS r_service,
           CASE WHEN sc.completion_rate IS NOT NULL THEN
               rank() OVER (ORDER BY round(sc.completion_rate * 100, 2) DESC NULLS LAST) END AS r_completion,
           CASE WHEN sc.walk_coverage IS NOT NULL THEN
               rank() OVER (ORDER BY round(sc.walk_coverage * 100, 2) DESC NULLS LAST) END AS r_coverage
    FROM scored sc
)
SELECT r.code, r.name,
       r.service_rate, r.completion_rate, r.walk_coverage, r.leader_participation,
       r.composite,
       r.r_composite::int, r.r_service::int, r.r_completion::int, r.r_coverage::int,
       CASE WHEN NOT r.present THEN '未报送'
            WHEN cardinality(r.missing) > 0 OR r.reported < r.expected THEN '缺报'
            ELSE '已报送' END,
       r.missing,
       r.reported, r.expected,
       CASE WHEN r.expected > 0 THEN r.reported::numeric / r.expected END,
       CASE WHEN r.expected > 0 THEN r.on_time::numeric / r.expected END,
       r.handled, r.evaluated, r.due, r.done,
       r.windows_walked, r.windows_listed, r.leaders_walked, r.leaders_listed,
       r.ws, r.wc, r.wv,
       r.reported, r.on_time
FROM ranked r
ORDER BY r.r_composite NULLS LAST, r.code
$$;
COMMENT ON FUNCTION report.county_ranking(text, date) IS
    '州级：各县排名，规则同乡镇排名，数字由各县 ADX 汇总的计数合计后计算；报送数按乡镇·月计';

-- report.ranking ranks what the instance ranks: townships in a county,
-- counties in a prefecture. The township ranking of 020 keeps its body
-- under a new name; every caller of report.ranking (rank, nightly, county
-- summary, exports) works unchanged at either level.
ALTER FUNCTION report.ranking(text, date) RENAME TO township_ranking;

CREATE FUNCTION report.ranking(period text,
                               as_of date DEFAULT (pg_catalog.now() AT TIME ZONE 'Asia/Shanghai')::date)
RETURNS TABLE (
    code text, name text,
    service_rate numeric, completion_rate numeric, walk_coverage numeric, leader_participation numeric,
    composite numeric,
    composite_rank int, service_rank int, completion_rank int, coverage_rank int,
    status text, missing_months text[],
    months_reported int, months_expected int, reporting_rate numeric, on_time_rate numeric,
    handled bigint, evaluated bigint, due bigint, done bigint,
    windows_walked bigint, windows_listed bigint, leaders_walked bigint, leaders_listed bigint,
    w_service numeric, w_completion numeric, w_coverage numeric,
    months_present int, months_on_time int
)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    IF report.is_prefecture() THEN
        RETURN QUERY SELECT * FROM report.county_ranking(period, as_of);
    ELSE
        RETURN QUERY SELECT * FROM report.township_ranking(period, as_of);
    END IF;
END
$$;
COMMENT ON FUNCTION report.ranking(text, date) IS
    '排名（metrics.md）：县级库为乡镇排名，州级库（登记了县名录）为各县排名；period 为 2026-10 / 2026-Q4 / 2026-H2 / 2026，as_of 为截至日期；按综合排名、代码排序';

REVOKE ALL ON FUNCTION report.ranking(text, date), report.county_ranking(text, date),
    report.is_prefecture(), report.sub_periods(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION report.ranking(text, date), report.county_ranking(text, date),
    report.is_prefecture(), report.sub_periods(text), report.township_ranking(text, date)
    TO bizenv_analyst;
GRANT SELECT ON report.export_log TO bizenv_analyst;

-- The loader role (the ingest's SET LOCAL ROLE) stores roll-ups and
-- registries; exports are recorded under the same role as the nightly job.
GRANT SELECT, INSERT, UPDATE ON ref.county TO bizenv_loader;
GRANT SELECT, INSERT ON facts.rollup, facts.rollup_group, meta.export, meta.export_file
    TO bizenv_loader;
GRANT USAGE, SELECT ON SEQUENCE facts.rollup_id_seq, meta.export_id_seq TO bizenv_loader;
GRANT EXECUTE ON FUNCTION load.merge_rollup(text, text, text, date, timestamptz, text, text, text,
                                            timestamptz, jsonb),
    load.county_registry(text[], text[]),
    meta.record_export(text, date, text, bigint, text[], text[], text[], bigint[]),
    meta.rankings_differ(bigint, bigint)
    TO bizenv_loader;
