-- 002: loading — staging tables, receipts, and the merge that applies the
-- revision rules of submission-format.md.
--
-- The loader (load/loader.c) runs one transaction per submission: it takes
-- a load id from staging.load_id_seq, COPYs the submission into the staging
-- tables under that id, then calls load.merge_submission(load_id), which
-- decides the outcome, copies the rows into facts.* when accepted, and
-- deletes the staging rows. Staging is UNLOGGED: its rows never outlive the
-- transaction that wrote them, so a crash loses nothing worth keeping.
-- Several loads may share staging at once; each touches only its load_id.

CREATE SCHEMA IF NOT EXISTS load;

CREATE SEQUENCE staging.load_id_seq;

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

CREATE UNLOGGED TABLE staging.window (
    load_id    bigint NOT NULL,
    ord        int NOT NULL,
    window_id  text NOT NULL,
    name       text NOT NULL,
    catalog    text NOT NULL
);

CREATE UNLOGGED TABLE staging.leader (
    load_id    bigint NOT NULL,
    ord        int NOT NULL,
    leader_id  text NOT NULL,
    role       text NOT NULL CHECK (role IN ('principal', 'deputy')),
    title      text NOT NULL
);

CREATE UNLOGGED TABLE staging.walk (
    load_id      bigint NOT NULL,
    ord          int NOT NULL,
    leader_id    text NOT NULL,
    window_id    text NOT NULL,
    walk_date    date NOT NULL,
    problem_ids  text[] NOT NULL
);

CREATE UNLOGGED TABLE staging.problem (
    load_id      bigint NOT NULL,
    ord          int NOT NULL,
    problem_id   text NOT NULL,
    source       text NOT NULL CHECK (source IN ('walk', 'supervision', 'complaint', 'other')),
    status       text NOT NULL CHECK (status IN ('open', 'rectifying', 'rectified')),
    found        date NOT NULL,
    rectified    date,
    deadline     date,
    description  text NOT NULL
);

CREATE UNLOGGED TABLE staging.text_item (
    load_id  bigint NOT NULL,
    kind     text NOT NULL,
    ord      int NOT NULL,
    body     text NOT NULL
);

CREATE UNLOGGED TABLE staging.attachment (
    load_id  bigint NOT NULL,
    ord      int NOT NULL,
    name     text NOT NULL,
    size     bigint NOT NULL,
    sha256   text NOT NULL
);

-- The transform stage's warnings for this submission (errors never get here).
CREATE UNLOGGED TABLE staging.diagnostic (
    load_id  bigint NOT NULL,
    ord      int NOT NULL,
    code     text NOT NULL,
    line     int,
    path     text NOT NULL,
    message  text NOT NULL
);

-- The township registry file of one `bizenv registry load`.
CREATE UNLOGGED TABLE staging.registry (
    load_id  bigint NOT NULL,
    line     int NOT NULL,
    code     text NOT NULL,
    name     text NOT NULL
);

CREATE INDEX ON staging.window (load_id);
CREATE INDEX ON staging.leader (load_id);
CREATE INDEX ON staging.walk (load_id);
CREATE INDEX ON staging.problem (load_id);
CREATE INDEX ON staging.text_item (load_id);
CREATE INDEX ON staging.attachment (load_id);
CREATE INDEX ON staging.diagnostic (load_id);
CREATE INDEX ON staging.registry (load_id);

-- Receipts ------------------------------------------------------------------

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

-- Facts lookups the merge does on every load.
CREATE INDEX ON facts.problem (problem_id);

-- The merge -------------------------------------------------------------------

-- Advisory lock class for "one township and month": merges of the same
-- township+period run one after another, so two revisions arriving at once
-- cannot both pass the revision check. The second key is a hash: a
-- collision only serializes two unrelated merges, it never breaks one.
CREATE FUNCTION load.lock_township_period(p_code text, p_period date) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(1651079781, hashtext(p_code || '/' || p_period::text));
$$;

-- Warnings the merge computes from history (the transform stage cannot):
-- W_PROBLEM_DISAPPEARED. A problem is reported when its latest appearance
-- in the current revisions (highest revision per month) of months before
-- p_period has status open or rectifying, it was found before p_period,
-- and it is absent from the ledger of load p_load_id.
CREATE FUNCTION load.disappeared_problems(p_load_id bigint, p_code text, p_period date)
RETURNS TABLE (problem_id text, last_period date, last_status text)
LANGUAGE sql STABLE AS $$
    WITH current_rev AS (
        SELECT DISTINCT ON (s.period) s.id, s.period
        FROM facts.submission s
        WHERE s.township_code = p_code AND s.period < p_period
        ORDER BY s.period, s.revision DESC
    ), latest AS (
        SELECT DISTINCT ON (p.problem_id) p.problem_id, c.period, p.status, p.found
        FROM current_rev c JOIN facts.problem p ON p.submission_id = c.id
        ORDER BY p.problem_id, c.period DESC
    )
    SELECT l.problem_id, l.period, l.status
    FROM latest l
    WHERE l.status IN ('open', 'rectifying')
      AND l.found < p_period
      AND NOT EXISTS (SELECT 1 FROM staging.problem sp
                      WHERE sp.load_id = p_load_id AND sp.problem_id = l.problem_id)
    ORDER BY l.problem_id;
$$;

-- Copies load p_load_id from staging into facts as a new submission row and
-- returns its id. Only called by merge_submission after the checks.
CREATE FUNCTION load.insert_facts(p_load_id bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_id bigint;
    v_ord int;
    st staging.submission%ROWTYPE;
    d record;
BEGIN
    SELECT * INTO STRICT st FROM staging.submission WHERE load_id = p_load_id;

    INSERT INTO facts.submission (
        township_code, period, revision, doc_sha256, file_sha256, member, received_at,
        submitted_at, township_name_given, contact_name, contact_phone,
        sites_total, sites_with_window, consultations, consultations_approx,
        job_postings, job_postings_approx, recruitment_events, county_items,
        handled, evaluated, reported_rate, symposia, merchants_visited,
        enterprises_visited, inspections, warning_sessions, violations,
        complaints_received, complaints_resolved)
    VALUES (
        st.township_code, st.period, st.revision, st.doc_sha256, st.file_sha256, st.member,
        st.received_at, st.submitted_at, st.township_name_given, st.contact_name,
        st.contact_phone, st.sites_total, st.sites_with_window, st.consultations,
        st.consultations_approx, st.job_postings, st.job_postings_approx,
        st.recruitment_events, st.county_items, st.handled, st.evaluated, st.reported_rate,
        st.symposia, st.merchants_visited, st.enterprises_visited, st.inspections,
        st.warning_sessions, st.violations, st.complaints_received, st.complaints_resolved)
    RETURNING id INTO v_id;

    INSERT INTO facts.window (submission_id, ord, window_id, name, catalog)
    SELECT v_id, ord, window_id, name, catalog FROM staging.window WHERE load_id = p_load_id;
    INSERT INTO facts.leader (submission_id, ord, leader_id, role, title)
    SELECT v_id, ord, leader_id, role, title FROM staging.leader WHERE load_id = p_load_id;
    INSERT INTO facts.walk (submission_id, ord, leader_id, window_id, walk_date, problem_ids)
    SELECT v_id, ord, leader_id, window_id, walk_date, problem_ids
    FROM staging.walk WHERE load_id = p_load_id;
    INSERT INTO facts.problem (submission_id, ord, problem_id, source, status, found,
                               rectified, deadline, description)
    SELECT v_id, ord, problem_id, source, status, found, rectified, deadline, description
    FROM staging.problem WHERE load_id = p_load_id;
    INSERT INTO facts.text_item (submission_id, kind, ord, body)
    SELECT v_id, kind, ord, body FROM staging.text_item WHERE load_id = p_load_id;
    INSERT INTO facts.attachment (submission_id, ord, name, size, sha256)
    SELECT v_id, ord, name, size, sha256 FROM staging.attachment WHERE load_id = p_load_id;
    INSERT INTO facts.warning (submission_id, ord, code, line, path, message)
    SELECT v_id, row_number() OVER (ORDER BY ord), code, line, path, message
    FROM staging.diagnostic WHERE load_id = p_load_id;

    SELECT coalesce(max(ord), 0) INTO v_ord FROM facts.warning WHERE submission_id = v_id;
    FOR d IN SELECT * FROM load.disappeared_problems(p_load_id, st.township_code, st.period) LOOP
        v_ord := v_ord + 1;
        INSERT INTO facts.warning (submission_id, ord, code, line, path, message)
        VALUES (v_id, v_ord, 'W_PROBLEM_DISAPPEARED', NULL, '/submission/problems',
                format('问题“%s”在 %s 的台账中状态为%s，本月台账中未列出（仍按未整改计）',
                       d.problem_id, to_char(d.last_period, 'YYYY-MM'),
                       CASE d.last_status WHEN 'open' THEN '未整改' ELSE '整改中' END));
    END LOOP;
    RETURN v_id;
END
$$;

-- Applies the revision rules of submission-format.md to load p_load_id:
--   outcome 'unknown_township'  the code is not an active registry township;
--   'duplicate'   the same document (doc_sha256) is stored for this township
--                 and month, whatever its revision: nothing changes,
--                 submission_id is the stored one;
--   'accepted'    revision above the highest stored: inserted into facts,
--                 earlier revisions stay (the current revision is the
--                 highest one received by the as-of date);
--   'conflict'    same revision as the highest stored, different bytes;
--   'stale'       lower than the highest stored.
-- current_revision is the highest stored revision after the merge (NULL
-- when none). The staging rows of the load are always deleted.
CREATE FUNCTION load.merge_submission(p_load_id bigint,
                                      OUT outcome text, OUT submission_id bigint,
                                      OUT current_revision int)
LANGUAGE plpgsql AS $$
DECLARE
    st staging.submission%ROWTYPE;
BEGIN
    SELECT * INTO st FROM staging.submission WHERE load_id = p_load_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'load % has no staged submission', p_load_id;
    END IF;
    PERFORM load.lock_township_period(st.township_code, st.period);

    SELECT max(s.revision) INTO current_revision FROM facts.submission s
    WHERE s.township_code = st.township_code AND s.period = st.period;

    IF NOT EXISTS (SELECT 1 FROM ref.township t WHERE t.code = st.township_code AND t.active) THEN
        outcome := 'unknown_township';
    ELSE
        SELECT s.id INTO submission_id FROM facts.submission s
        WHERE s.township_code = st.township_code AND s.period = st.period
          AND s.doc_sha256 = st.doc_sha256;
        IF FOUND THEN
            outcome := 'duplicate';
        ELSIF current_revision IS NULL OR st.revision > current_revision THEN
            submission_id := load.insert_facts(p_load_id);
            current_revision := st.revision;
            outcome := 'accepted';
        ELSIF st.revision = current_revision THEN
            outcome := 'conflict';
        ELSE
            outcome := 'stale';
        END IF;
    END IF;

    DELETE FROM staging.window WHERE load_id = p_load_id;
    DELETE FROM staging.leader WHERE load_id = p_load_id;
    DELETE FROM staging.walk WHERE load_id = p_load_id;
    DELETE FROM staging.problem WHERE load_id = p_load_id;
    DELETE FROM staging.text_item WHERE load_id = p_load_id;
    DELETE FROM staging.attachment WHERE load_id = p_load_id;
    DELETE FROM staging.diagnostic WHERE load_id = p_load_id;
    DELETE FROM staging.submission WHERE load_id = p_load_id;
END
$$;

-- The warnings the merge added to a submission (codes the transform stage
-- never produces), for the caller's receipt.
CREATE FUNCTION load.merge_warnings(p_submission_id bigint)
RETURNS TABLE (code text, line int, path text, message text)
LANGUAGE sql STABLE AS $$
    SELECT w.code, w.line, w.path, w.message FROM facts.warning w
    WHERE w.submission_id = p_submission_id AND w.code IN ('W_PROBLEM_DISAPPEARED')
    ORDER BY w.ord;
$$;

-- Merges registry file p_load_id (staging.registry) into ref.township in
-- one statement per kind; never deletes. Each township lands in exactly one
-- count: added (new code), reactivated (was inactive, listed again; its name
-- is updated too), renamed (active, new name), unchanged (active, same
-- name), inactivated (was active, no longer listed). Inactive townships
-- still missing are not counted.
CREATE FUNCTION load.merge_registry(p_load_id bigint,
                                    OUT added int, OUT renamed int, OUT inactivated int,
                                    OUT reactivated int, OUT unchanged int)
LANGUAGE plpgsql AS $$
BEGIN
    -- registry changes are rare; serialize them against each other
    PERFORM pg_advisory_xact_lock(1651079781, 0);

    SELECT count(*) FILTER (WHERE t.code IS NULL),
           count(*) FILTER (WHERE t.active AND t.name <> r.name),
           count(*) FILTER (WHERE NOT t.active),
           count(*) FILTER (WHERE t.active AND t.name = r.name)
    INTO added, renamed, reactivated, unchanged
    FROM staging.registry r LEFT JOIN ref.township t ON t.code = r.code
    WHERE r.load_id = p_load_id;

    INSERT INTO ref.township (code, name)
    SELECT r.code, r.name FROM staging.registry r
    WHERE r.load_id = p_load_id
      AND NOT EXISTS (SELECT 1 FROM ref.township t WHERE t.code = r.code);

    UPDATE ref.township t SET name = r.name, active = true, updated_at = now()
    FROM staging.registry r
    WHERE r.load_id = p_load_id AND r.code = t.code AND (t.name <> r.name OR NOT t.active);

    UPDATE ref.township t SET active = false, updated_at = now()
    WHERE t.active
      AND NOT EXISTS (SELECT 1 FROM staging.registry r
                      WHERE r.load_id = p_load_id AND r.code = t.code);
    GET DIAGNOSTICS inactivated = ROW_COUNT;

    DELETE FROM staging.registry WHERE load_id = p_load_id;
END
$$;

-- Grants: the loader role loads; analysts get nothing here (report/ grants
-- its own views).
GRANT USAGE ON SCHEMA ref, raw, staging, facts, load TO bizenv_loader;
GRANT SELECT, INSERT, DELETE ON ALL TABLES IN SCHEMA staging TO bizenv_loader;
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA raw, facts TO bizenv_loader;
GRANT SELECT ON ALL TABLES IN SCHEMA ref TO bizenv_loader;
GRANT INSERT, UPDATE ON ref.township TO bizenv_loader;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA staging, raw, facts TO bizenv_loader;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA load TO bizenv_loader;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA load FROM PUBLIC;
