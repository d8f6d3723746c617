-- The merge of a batch (load/loader.c loader_stage_*): the revision rules
-- of submission-format.md, applied inside the caller's batch transaction
-- in two steps.
--
--   1. load.decide_batch(load_ids) applies the revision rules to the staged
--      headers one after another in file order and inserts facts.submission
--      for each accepted one with its load id as its id. The client learns
--      which load ids were accepted.
--   2. The client COPYs the child rows of the accepted submissions (and
--      only those) into facts.window, leader, walk, problem, text_item,
--      attachment and warning, already carrying the load id as
--      submission_id; then load.finish_batch(ids) adds the merge's own
--      warnings (W_PROBLEM_DISAPPEARED) and returns them.
--
-- Load ids and submission ids come from one sequence (staging.load_id_seq):
-- a load id is never reused, so an accepted submission's id cannot collide
-- with any other, and ids grow in merge order (load ids are taken in file
-- order and batches merge in order under the run lock), which
-- load.disappeared_problems_before and the nightly refresh
-- (sql/report/refresh.sql, max_submission_id) rely on.

-- Advisory lock class for "one township and month": merges of the same
-- township+period run one after another, so two revisions arriving at once
-- cannot both pass the revision check. The second key is a hash: a
-- collision only serializes two unrelated merges, it never breaks one.
CREATE FUNCTION load.lock_township_period(p_code text, p_period date) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(1651079781, hashtext(p_code || '/' || p_period::text));
$$;

-- Step 1. One row per load id, in order: its outcome, the id of the stored
-- submission (its own when accepted, the earlier one when a duplicate) and
-- the township-month's highest revision after it. The outcomes:
--   'unknown_township'  the code is not an active registry township;
--   'duplicate'   the same document (doc_sha256) is stored for this township
--                 and month, whatever its revision: nothing changes;
--   'accepted'    revision above the highest stored: inserted into facts,
--                 earlier revisions stay (the current revision is the
--                 highest one received by the as-of date);
--   'conflict'    same revision as the highest stored, different bytes;
--   'stale'       lower than the highest stored.
-- The staged headers are deleted. An unknown load id is an error (the
-- batch rolls back).
CREATE FUNCTION load.decide_batch(p_load_ids bigint[])
RETURNS TABLE (load_id bigint, outcome text, submission_id bigint, current_revision int)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    i int;
    st staging.submission%ROWTYPE;
    v_out text;
    v_sid bigint;
    v_cur int;
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_load_ids, 1), 0) LOOP
        SELECT * INTO st FROM staging.submission s WHERE s.load_id = p_load_ids[i];
        IF NOT FOUND THEN
            RAISE EXCEPTION 'load % has no staged submission', p_load_ids[i];
        END IF;
        PERFORM load.lock_township_period(st.township_code, st.period);
        SELECT max(s.revision) INTO v_cur FROM facts.submission s
        WHERE s.township_code = st.township_code AND s.period = st.period;
        v_sid := NULL;
        IF NOT EXISTS (SELECT 1 FROM ref.township t
                       WHERE t.code = st.township_code AND t.active) THEN
            v_out := 'unknown_township';
        ELSE
            SELECT s.id INTO v_sid FROM facts.submission s
            WHERE s.township_code = st.township_code AND s.period = st.period
              AND s.doc_sha256 = st.doc_sha256;
            IF FOUND THEN
                v_out := 'duplicate';
            ELSIF v_cur IS NULL OR st.revision > v_cur THEN
                INSERT INTO facts.submission (
                    id, township_code, period, revision, doc_sha256, file_sha256, member,
                    received_at, submitted_at, township_name_given, contact_name, contact_phone,
                    sites_total, sites_with_window, consultations, consultations_approx,
                    job_postings, job_postings_approx, recruitment_events, county_items,
                    handled, evaluated, reported_rate, symposia, merchants_visited,
                    enterprises_visited, inspections, warning_sessions, violations,
                    complaints_received, complaints_resolved)
                VALUES (
                    st.load_id, st.township_code, st.period, st.revision, st.doc_sha256,
                    st.file_sha256, st.member, st.received_at, st.submitted_at,
                    st.township_name_given, st.contact_name, st.contact_phone, st.sites_total,
                    st.sites_with_window, st.consultations, st.consultations_approx,
                    st.job_postings, st.job_postings_approx, st.recruitment_events,
                    st.county_items, st.handled, st.evaluated, st.reported_rate, st.symposia,
                    st.merchants_visited, st.enterprises_visited, st.inspections,
                    st.warning_sessions, st.violations, st.complaints_received,
                    st.complaints_resolved);
                v_sid := st.load_id;
                v_cur := st.revision;
                v_out := 'accepted';
            ELSIF st.revision = v_cur THEN
                v_out := 'conflict';
            ELSE
                v_out := 'stale';
            END IF;
        END IF;
        load_id := p_load_ids[i];
        outcome := v_out;
        submission_id := v_sid;
        current_revision := v_cur;
        RETURN NEXT;
    END LOOP;
    DELETE FROM staging.submission s WHERE s.load_id = ANY (p_load_ids);
END
$$;

-- W_PROBLEM_DISAPPEARED as the merge of stored submission p_sid sees it: a
-- problem whose latest appearance in the current revisions (highest
-- revision per month) of earlier months — counting only submissions
-- stored before p_sid — is open or rectifying, found before p_period, and
-- absent from p_sid's own ledger.
CREATE FUNCTION load.disappeared_problems_before(p_sid bigint, p_code text, p_period date)
RETURNS TABLE (problem_id text, last_period date, last_status text)
LANGUAGE sql STABLE AS $$
    WITH current_rev AS (
        SELECT DISTINCT ON (s.period) s.id, s.period
        FROM facts.submission s
        WHERE s.township_code = p_code AND s.period < p_period AND s.id < p_sid
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
      AND NOT EXISTS (SELECT 1 FROM facts.problem own
                      WHERE own.submission_id = p_sid AND own.problem_id = l.problem_id)
    ORDER BY l.problem_id;
$$;

-- Step 2's end, once every child row of the accepted submissions p_sids is
-- in facts: stores the merge's warnings, numbered after the transform's,
-- and returns them (ordered by submission id, then number) for the
-- receipts.
CREATE FUNCTION load.finish_batch(p_sids bigint[])
RETURNS TABLE (submission_id bigint, code text, line int, path text, message text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    INSERT INTO facts.warning (submission_id, ord, code, line, path, message)
    SELECT s.id,
           (SELECT count(*) FROM facts.warning w WHERE w.submission_id = s.id)
             + row_number() OVER (PARTITION BY s.id ORDER BY x.problem_id),
           'W_PROBLEM_DISAPPEARED', NULL, '/submission/problems',
           format('问题“%s”在 %s 的台账中状态为%s，本月台账中未列出（仍按未整改计）',
                  x.problem_id, to_char(x.last_period, 'YYYY-MM'),
                  CASE x.last_status WHEN 'open' THEN '未整改' ELSE '整改中' END)
    FROM facts.submission s
    CROSS JOIN LATERAL load.disappeared_problems_before(s.id, s.township_code, s.period) x
    WHERE s.id = ANY (p_sids);
    RETURN QUERY
    SELECT w.submission_id, w.code, w.line, w.path, w.message FROM facts.warning w
    WHERE w.submission_id = ANY (p_sids) AND w.code = 'W_PROBLEM_DISAPPEARED'
    ORDER BY w.submission_id, w.ord;
END
$$;

REVOKE ALL ON FUNCTION load.lock_township_period(text, date), load.decide_batch(bigint[]),
    load.disappeared_problems_before(bigint, text, date), load.finish_batch(bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION load.lock_township_period(text, date), load.decide_batch(bigint[]),
    load.disappeared_problems_before(bigint, text, date), load.finish_batch(bigint[])
    TO bizenv_loader;
