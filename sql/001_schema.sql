-- 001: schemas, roles, reference data, raw files and normalized facts.
--
-- Schemas: meta (migrations, bizenv's own bookkeeping), ref (data the county
-- maintains: township registry, window catalog, ranking settings), raw (every
-- file received, every receipt), staging (COPY targets of one load), facts
-- (normalized submissions, all revisions), report (what analysts read).
-- Applied by load/migrate.c inside one transaction under an advisory lock.

CREATE SCHEMA IF NOT EXISTS ref;
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS facts;
CREATE SCHEMA IF NOT EXISTS report;

-- Roles are cluster-wide: create them only when missing (several bizenv
-- databases may share a server, and may migrate at the same moment: the
-- advisory lock is per database, so a concurrent CREATE ROLE is tolerated).
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

-- Reference data -----------------------------------------------------------

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

-- Ranking weights: the county changes them with UPDATE, no rebuild needed.
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

-- Raw files and receipts ---------------------------------------------------

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

-- Normalized facts: every accepted revision, none ever deleted -------------

CREATE TABLE facts.submission (
    id                   bigserial PRIMARY KEY,
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
