-- 087: the baseline. Every schema, role, table, sequence, index, type and
-- table grant of bizenv's first release (v0.1.0), as one script.
--
-- It stands for that release's migrations 001–086, which it replaces: it
-- builds exactly the catalog they built, minus the functions, views and
-- triggers, which live in the current-state files (sql/report/, sql/load/,
-- sql/facts/, sql/meta/, sql/export/) and are applied after the migrations.
-- A database built by that release is recognised by load/migrate.c, which
-- records this file as applied without running it. So nothing here may
-- change: what changes the schema goes into a new numbered migration.
-- Its numbering continues the release's, so that release's binary reads a
-- database set up from here as newer than itself and refuses it.
--
-- Schemas: meta (migrations, runs, exports: bizenv's own bookkeeping; made
-- by the runner before any migration), ref (data the county maintains:
-- registries, window catalog, ranking settings), raw (every file received,
-- every receipt), staging (COPY targets of one load), facts (normalized
-- submissions, all revisions; stored rankings; a prefecture's roll-ups),
-- load (the merge's functions), report (what analysts read).

CREATE SCHEMA IF NOT EXISTS ref;
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS facts;
CREATE SCHEMA IF NOT EXISTS report;
CREATE SCHEMA IF NOT EXISTS load;

-- Roles are cluster-wide: create them only when missing (several bizenv
-- databases may share a server, and may migrate at the same moment: the
-- advisory lock is per database, so a concurrent CREATE ROLE is tolerated).
-- bizenv_loader: the ingest works under it (SET LOCAL ROLE). bizenv_analyst:
-- reads the report schema and nothing else.
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['bizenv_loader', 'bizenv_analyst'] LOOP
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END LOOP;
END
$$;

-- ref: what the county maintains ---------------------------------------------

CREATE TABLE ref.township (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{9}$'),
    name        text NOT NULL CHECK (name <> ''),
    active      boolean NOT NULL DEFAULT true,
    added_at    timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ref.township IS 'county township registry; rows are never deleted, a township that leaves the registry is marked inactive';

CREATE TABLE ref.window_catalog (
    code  text PRIMARY KEY,
    name  text NOT NULL,
    ord   int  NOT NULL UNIQUE
);
INSERT INTO ref.window_catalog (code, name, ord) VALUES
    ('market', '市场监管', 1), ('agri', '农业农村', 2), ('forest', '林业和草原', 3),
    ('medins', '医保', 4), ('social', '社保', 5), ('veteran', '退役军人', 6),
    ('planning', '城镇规划', 7), ('land', '国土资源', 8), ('culture', '文化服务', 9),
    ('family', '计生', 10), ('civil', '民政', 11), ('onestop', '惠企政策“一站式”服务窗口', 12),
    ('other', '其他', 13);

-- The county changes the weights with UPDATE, no rebuild needed.
CREATE TABLE ref.weight (
    figure  text PRIMARY KEY CHECK (figure IN ('service', 'completion', 'coverage')),
    weight  numeric NOT NULL CHECK (weight >= 0)
);
COMMENT ON TABLE ref.weight IS 'weights of the composite score (default 1:1:1)';
INSERT INTO ref.weight VALUES ('service', 1), ('completion', 1), ('coverage', 1);

-- Other database-held settings, one row each.
CREATE TABLE ref.setting (
    key      text PRIMARY KEY,
    value    text NOT NULL,
    comment  text NOT NULL
);
INSERT INTO ref.setting VALUES
    ('deadline_day', '5', 'a month''s report is on time when its first accepted revision arrived by this day of the following month, 23:59:59 Asia/Shanghai'),
    ('timezone', 'Asia/Shanghai', 'the county''s time zone: as-of dates and deadlines are days in it');

-- A prefecture's registry of counties (an instance with rows here ranks
-- counties from their ADX roll-ups).
CREATE TABLE ref.county (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
    name        text NOT NULL CHECK (name <> ''),
    active      boolean NOT NULL DEFAULT true,
    added_at    timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ref.county IS 'prefecture only: the registry of counties whose ADX roll-ups are accepted; an instance with rows here ranks counties';

-- raw: files and receipts ------------------------------------------------------

-- Every file taken from the inbox, by content; the bytes are in the archive
-- folder under their SHA-256.
CREATE TABLE raw.file (
    sha256         text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size           bigint NOT NULL CHECK (size >= 0),
    original_name  text NOT NULL,
    received_at    timestamptz NOT NULL,
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    archive_path   text NOT NULL
);

-- One row per receipt issued (one per submission found in a file, or one
-- for a file rejected before any submission could be read). township_code,
-- period and revision are NULL when the file never got that far.
CREATE TABLE raw.receipt (
    id             bigserial PRIMARY KEY,
    file_sha256    text NOT NULL REFERENCES raw.file (sha256),
    member         text NOT NULL DEFAULT '',
    township_code  text,
    period         date CHECK (extract(day FROM period) = 1),
    revision       int,
    outcome        text NOT NULL
                   CHECK (outcome IN ('accepted', 'accepted_with_warnings', 'duplicate', 'rejected')),
    codes          text[] NOT NULL DEFAULT '{}',
    body           text NOT NULL,
    body_json      jsonb,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON raw.receipt (file_sha256);
CREATE INDEX ON raw.receipt (township_code, period);

-- staging: what one batch's COPYs fill ---------------------------------------
--
-- UNLOGGED: its rows never outlive the transaction that wrote them, so a
-- crash loses nothing worth keeping. Several loads may share staging at
-- once; each touches only its load id.

-- Load ids, and the ids of the submissions they become: a load id is never
-- reused, so an accepted submission keeps its load id as its own
-- (facts.submission.id), and ids grow in merge order.
CREATE SEQUENCE staging.load_id_seq;

-- The headers of a batch's submissions, for load.decide_batch.
CREATE UNLOGGED TABLE staging.submission (
    load_id              bigint NOT NULL PRIMARY KEY,
    file_sha256          text NOT NULL,
    member               text NOT NULL,
    doc_sha256           text NOT NULL,
    received_at          timestamptz NOT NULL,
    township_code        text NOT NULL,
    township_name_given  text NOT NULL,
    period               date NOT NULL,
    revision             int NOT NULL,
    submitted_at         timestamptz NOT NULL,
    contact_name         text NOT NULL,
    contact_phone        text,
    sites_total          int NOT NULL,
    sites_with_window    int NOT NULL,
    consultations        int NOT NULL,
    consultations_approx boolean NOT NULL,
    job_postings         int NOT NULL,
    job_postings_approx  boolean NOT NULL,
    recruitment_events   int NOT NULL,
    county_items         int NOT NULL,
    handled              int NOT NULL,
    evaluated            int NOT NULL,
    reported_rate        numeric,
    symposia             int NOT NULL,
    merchants_visited    int NOT NULL,
    enterprises_visited  int NOT NULL,
    inspections          int NOT NULL,
    warning_sessions     int NOT NULL,
    violations           int NOT NULL,
    complaints_received  int,
    complaints_resolved  int
);

-- The township registry file of one `bizenv registry load`.
CREATE UNLOGGED TABLE staging.registry (
    load_id  bigint NOT NULL,
    line     int NOT NULL,
    code     text NOT NULL,
    name     text NOT NULL
);
CREATE INDEX ON staging.registry (load_id);

-- facts: every accepted revision, none ever deleted ----------------------------

CREATE TABLE facts.submission (
    id                   bigint PRIMARY KEY DEFAULT nextval('staging.load_id_seq'),
    township_code        text NOT NULL REFERENCES ref.township (code),
    period               date NOT NULL CHECK (extract(day FROM period) = 1),
    revision             int  NOT NULL CHECK (revision >= 1),
    doc_sha256           text NOT NULL,
    file_sha256          text NOT NULL REFERENCES raw.file (sha256),
    member               text NOT NULL DEFAULT '',
    received_at          timestamptz NOT NULL,
    loaded_at            timestamptz NOT NULL DEFAULT now(),
    submitted_at         timestamptz NOT NULL,
    township_name_given  text NOT NULL,
    contact_name         text NOT NULL,
    contact_phone        text,
    sites_total          int NOT NULL,
    sites_with_window    int NOT NULL,
    consultations        int NOT NULL,
    consultations_approx boolean NOT NULL,
    job_postings         int NOT NULL,
    job_postings_approx  boolean NOT NULL,
    recruitment_events   int NOT NULL,
    county_items         int NOT NULL,
    handled              int NOT NULL CHECK (handled >= 0),
    evaluated            int NOT NULL CHECK (evaluated >= 0 AND evaluated <= handled),
    reported_rate        numeric CHECK (reported_rate BETWEEN 0 AND 100),
    symposia             int NOT NULL,
    merchants_visited    int NOT NULL,
    enterprises_visited  int NOT NULL,
    inspections          int NOT NULL,
    warning_sessions     int NOT NULL,
    violations           int NOT NULL,
    complaints_received  int,
    complaints_resolved  int,
    UNIQUE (township_code, period, revision),
    UNIQUE (township_code, period, doc_sha256)
);
CREATE INDEX ON facts.submission (period, township_code, revision DESC);
-- the nightly refresh finds what arrived between two cut-offs
CREATE INDEX ON facts.submission (received_at);

CREATE TABLE facts.window (
    submission_id  bigint NOT NULL REFERENCES facts.submission (id),
    ord            int  NOT NULL,
    window_id      text NOT NULL,
    name           text NOT NULL,
    catalog        text NOT NULL REFERENCES ref.window_catalog (code),
    PRIMARY KEY (submission_id, window_id)
);

CREATE TABLE facts.leader (
    submission_id  bigint NOT NULL REFERENCES facts.submission (id),
    ord            int  NOT NULL,
    leader_id      text NOT NULL,
    role           text NOT NULL CHECK (role IN ('principal', 'deputy')),
    title          text NOT NULL,
    PRIMARY KEY (submission_id, leader_id)
);

CREATE TABLE facts.walk (
    submission_id  bigint NOT NULL REFERENCES facts.submission (id),
    ord            int  NOT NULL,
    leader_id      text NOT NULL,
    window_id      text NOT NULL,
    walk_date      date NOT NULL,
    problem_ids    text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (submission_id, ord),
    FOREIGN KEY (submission_id, leader_id) REFERENCES facts.leader (submission_id, leader_id),
    FOREIGN KEY (submission_id, window_id) REFERENCES facts.window (submission_id, window_id)
);

-- What each submission's walks name, so the figures read one row per
-- submission instead of its walks (kept by sql/facts/walk_summary.sql).
CREATE TABLE facts.walk_summary (
    submission_id  bigint PRIMARY KEY REFERENCES facts.submission (id),
    windows        text[] NOT NULL,
    leaders        text[] NOT NULL
);
COMMENT ON TABLE facts.walk_summary IS
    'per submission with walks: the distinct window ids and leader ids its walks name (sorted); kept by triggers on facts.walk';

CREATE TABLE facts.problem (
    submission_id  bigint NOT NULL REFERENCES facts.submission (id),
    ord            int  NOT NULL,
    problem_id     text NOT NULL,
    source         text NOT NULL CHECK (source IN ('walk', 'supervision', 'complaint', 'other')),
    status         text NOT NULL CHECK (status IN ('open', 'rectifying', 'rectified')),
    found          date NOT NULL,
    rectified      date,
    deadline       date,
    description    text NOT NULL,
    PRIMARY KEY (submission_id, problem_id),
    CHECK ((status = 'rectified') = (rectified IS NOT NULL))
);
-- the merge looks problems up by id (W_PROBLEM_DISAPPEARED)
CREATE INDEX ON facts.problem (problem_id);

CREATE TABLE facts.text_item (
    submission_id  bigint NOT NULL REFERENCES facts.submission (id),
    kind           text NOT NULL CHECK (kind IN ('mechanism', 'difficulty', 'next_step', 'suggestion')),
    ord            int  NOT NULL,
    body           text NOT NULL,
    PRIMARY KEY (submission_id, kind, ord)
);

CREATE TABLE facts.attachment (
    submission_id  bigint NOT NULL REFERENCES facts.submission (id),
    ord            int  NOT NULL,
    name           text NOT NULL,
    size           bigint NOT NULL,
    sha256         text NOT NULL,
    PRIMARY KEY (submission_id, ord)
);

CREATE TABLE facts.warning (
    submission_id  bigint NOT NULL REFERENCES facts.submission (id),
    ord            int  NOT NULL,
    code           text NOT NULL,
    line           int,
    path           text NOT NULL DEFAULT '',
    message        text NOT NULL,
    PRIMARY KEY (submission_id, ord)
);

-- Stored rankings: a run is full (base_run_id NULL, one figure row per
-- township) or a delta on a full run (only the townships whose figures
-- differ from it). Ranks are computed when a run is read.
CREATE TABLE facts.ranking_run (
    id                 bigserial PRIMARY KEY,
    period             text NOT NULL,
    as_of              date NOT NULL,
    computed_at        timestamptz NOT NULL DEFAULT now(),
    w_service          numeric NOT NULL,
    w_completion       numeric NOT NULL,
    w_coverage         numeric NOT NULL,
    inputs             text,
    max_submission_id  bigint,
    cutoff             timestamptz,
    base_run_id        bigint REFERENCES facts.ranking_run (id)
);
COMMENT ON TABLE facts.ranking_run IS 'one computed ranking (report.refresh_ranking): period, as-of date, when, and the weights used';
COMMENT ON COLUMN facts.ranking_run.inputs IS
    'what the ranking depends on besides the submissions (report.ranking_base); NULL for rankings not stored by report.refresh_ranking_if_changed';
COMMENT ON COLUMN facts.ranking_run.max_submission_id IS
    'highest facts.submission id when the ranking was computed (NULL before 083)';
COMMENT ON COLUMN facts.ranking_run.cutoff IS
    'the as-of cut-off it counted submissions by (report.as_of_cutoff)';
COMMENT ON COLUMN facts.ranking_run.base_run_id IS
    'NULL for a full run; else the full run this one differs from in only the townships stored for it';

-- run_id, then the attributes of report.figure in its order.
CREATE TABLE facts.ranking_figure (
    run_id                bigint NOT NULL REFERENCES facts.ranking_run (id),
    code                  text NOT NULL,
    name                  text NOT NULL,
    service_rate          numeric,
    completion_rate       numeric,
    walk_coverage         numeric,
    leader_participation  numeric,
    status                text NOT NULL,
    missing_months        text[] NOT NULL,
    months_reported       int NOT NULL,
    months_expected       int NOT NULL,
    handled               bigint NOT NULL,
    evaluated             bigint NOT NULL,
    due                   bigint NOT NULL,
    done                  bigint NOT NULL,
    windows_walked        bigint NOT NULL,
    windows_listed        bigint NOT NULL,
    leaders_walked        bigint NOT NULL,
    leaders_listed        bigint NOT NULL,
    months_present        int NOT NULL,
    months_on_time        int NOT NULL,
    PRIMARY KEY (run_id, code)
);
COMMENT ON TABLE facts.ranking_figure IS
    'the figures of one stored ranking per township (report.figure): all townships for a full run, the ones that differ from its base for a delta run; ranks are computed from them and the run''s weights (report.stored_ranking)';

-- A prefecture's roll-ups: the counties' ADX files, none deleted.
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

-- meta: runs and exports --------------------------------------------------------

CREATE TABLE meta.run (
    id                 bigserial PRIMARY KEY,
    kind               text NOT NULL CHECK (kind IN ('nightly', 'ingest')),
    started_at         timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz,
    status             text NOT NULL DEFAULT 'running'
                       CHECK (status IN ('running', 'ok', 'failed', 'aborted')),
    as_of              date NOT NULL,
    host               text NOT NULL DEFAULT '',
    pid                int,
    files_taken        int NOT NULL DEFAULT 0,
    accepted           int NOT NULL DEFAULT 0,
    duplicates         int NOT NULL DEFAULT 0,
    rejected           int NOT NULL DEFAULT 0,
    warnings           int NOT NULL DEFAULT 0,
    missing_townships  text[] NOT NULL DEFAULT '{}',
    error_code         text,
    error_text         text,
    summary_path       text
);
COMMENT ON TABLE meta.run IS 'one row per bizenv nightly/ingest run; a row left ''running'' by a killed run is marked ''aborted'' by the next run';

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

-- report: types ------------------------------------------------------------------

CREATE TYPE report.figure AS (
    code                  text,
    name                  text,
    service_rate          numeric,
    completion_rate       numeric,
    walk_coverage         numeric,
    leader_participation  numeric,
    status                text,
    missing_months        text[],
    months_reported       int,
    months_expected       int,
    handled               bigint,
    evaluated             bigint,
    due                   bigint,
    done                  bigint,
    windows_walked        bigint,
    windows_listed        bigint,
    leaders_walked        bigint,
    leaders_listed        bigint,
    months_present        int,
    months_on_time        int
);
COMMENT ON TYPE report.figure IS '一个乡镇（州级为一个县）在某期间的各项数字（未排名）';

-- Grants on schemas, tables and sequences -----------------------------------------
--
-- The loader role loads: it reads the registries and settings, writes raw,
-- staging and facts rows, runs and exports. The analyst reads report only
-- (its views and functions are granted where they are defined).

GRANT USAGE ON SCHEMA ref, raw, staging, facts, load, meta TO bizenv_loader;
GRANT USAGE ON SCHEMA report TO bizenv_analyst;

GRANT SELECT ON ref.window_catalog, ref.weight, ref.setting TO bizenv_loader;
GRANT SELECT, INSERT, UPDATE ON ref.township, ref.county TO bizenv_loader;
GRANT SELECT, INSERT ON raw.file, raw.receipt TO bizenv_loader;
GRANT SELECT, INSERT, DELETE ON staging.submission, staging.registry TO bizenv_loader;
GRANT SELECT, INSERT ON facts.submission, facts.window, facts.leader, facts.walk, facts.problem,
    facts.text_item, facts.attachment, facts.warning, facts.rollup, facts.rollup_group
    TO bizenv_loader;
GRANT SELECT ON facts.walk_summary TO bizenv_loader;
GRANT SELECT, INSERT, UPDATE ON meta.run TO bizenv_loader;
GRANT SELECT, INSERT ON meta.export, meta.export_file TO bizenv_loader;
GRANT USAGE, SELECT ON SEQUENCE staging.load_id_seq, raw.receipt_id_seq, facts.rollup_id_seq,
    meta.export_id_seq TO bizenv_loader;
GRANT USAGE ON SEQUENCE meta.run_id_seq TO bizenv_loader;
