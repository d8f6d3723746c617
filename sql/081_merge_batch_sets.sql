-- 081: load.merge_batch decides per submission, copies the rows set-wise.
--
-- 080 called load.merge_submission once per staged submission; almost all
-- of its time went into load.insert_facts (eight INSERT ... SELECT per
-- submission, plus deleting the staging rows one load at a time). Here the
-- revision rules still run one submission after another in p_load_ids
-- order (file order) — lock, duplicate, accepted, conflict, stale, exactly
-- as in merge_submission, and each accepted submission gets its
-- facts.submission row (and id) before the next one is judged, so two
-- revisions of one township and month in the same batch are decided in
-- order. The child rows of all accepted submissions are then copied with
-- one INSERT per table, and the W_PROBLEM_DISAPPEARED warnings computed
-- for each accepted submission against the submissions stored before it
-- (facts.submission ids grow in merge order), which is what a merge of its
-- own would have seen. An error anywhere aborts the caller's batch.

-- load.disappeared_problems as seen by the merge of submission p_before:
-- only submissions stored before it count.
CREATE FUNCTION load.disappeared_problems_before(p_load_id bigint, p_code text, p_period date,
                                                 p_before bigint)
RETURNS TABLE (problem_id text, last_period date, last_status text)
LANGUAGE sql STABLE AS $$
    WITH current_rev AS (
        SELECT DISTINCT ON (s.period) s.id, s.period
        FROM facts.submission s
        WHERE s.township_code = p_code AND s.period < p_period AND s.id < p_before
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

CREATE OR REPLACE FUNCTION load.merge_batch(p_load_ids bigint[])
RETURNS TABLE (load_id bigint, outcome text, submission_id bigint, current_revision int)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    i int;
    st staging.submission%ROWTYPE;
    v_out text;
    v_sid bigint;
    v_cur int;
    acc_lid bigint[] := '{}';
    acc_sid bigint[] := '{}';
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
                    township_code, period, revision, doc_sha256, file_sha256, member,
                    received_at, submitted_at, township_name_given, contact_name, contact_phone,
                    sites_total, sites_with_window, consultations, consultations_approx,
                    job_postings, job_postings_approx, recruitment_events, county_items,
                    handled, evaluated, reported_rate, symposia, merchants_visited,
                    enterprises_visited, inspections, warning_sessions, violations,
                    complaints_received, complaints_resolved)
                VALUES (
                    st.township_code, st.period, st.revision, st.doc_sha256, st.file_sha256,
                    st.member, st.received_at, st.submitted_at, st.township_name_given,
                    st.contact_name, st.contact_phone, st.sites_total, st.sites_with_window,
                    st.consultations, st.consultations_approx, st.job_postings,
                    st.job_postings_approx, st.recruitment_events, st.county_items, st.handled,
                    st.evaluated, st.reported_rate, st.symposia, st.merchants_visited,
                    st.enterprises_visited, st.inspections, st.warning_sessions, st.violations,
                    st.complaints_received, st.complaints_resolved)
                RETURNING id INTO v_sid;
                v_cur := st.revision;
                v_out := 'accepted';
                acc_lid := acc_lid || st.load_id;
                acc_sid := acc_sid || v_sid;
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

    IF array_length(acc_lid, 1) IS NOT NULL THEN
        -- windows and leaders before walks (the walk's foreign keys)
        INSERT INTO facts.window (submission_id, ord, window_id, name, catalog)
        SELECT m.sid, w.ord, w.window_id, w.name, w.catalog
        FROM unnest(acc_lid, acc_sid) AS m (lid, sid) JOIN staging.window w ON w.load_id = m.lid;
        INSERT INTO facts.leader (submission_id, ord, leader_id, role, title)
        SELECT m.sid, l.ord, l.leader_id, l.role, l.title
        FROM unnest(acc_lid, acc_sid) AS m (lid, sid) JOIN staging.leader l ON l.load_id = m.lid;
        INSERT INTO facts.walk (submission_id, ord, leader_id, window_id, walk_date, problem_ids)
        SELECT m.sid, w.ord, w.leader_id, w.window_id, w.walk_date, w.problem_ids
        FROM unnest(acc_lid, acc_sid) AS m (lid, sid) JOIN staging.walk w ON w.load_id = m.lid;
        INSERT INTO facts.problem (submission_id, ord, problem_id, source, status, found,
                                   rectified, deadline, description)
        SELECT m.sid, p.ord, p.problem_id, p.source, p.status, p.found, p.rectified,
               p.deadline, p.description
        FROM unnest(acc_lid, acc_sid) AS m (lid, sid) JOIN staging.problem p ON p.load_id = m.lid;
        INSERT INTO facts.text_item (submission_id, kind, ord, body)
        SELECT m.sid, t.kind, t.ord, t.body
        FROM unnest(acc_lid, acc_sid) AS m (lid, sid) JOIN staging.text_item t ON t.load_id = m.lid;
        INSERT INTO facts.attachment (submission_id, ord, name, size, sha256)
        SELECT m.sid, a.ord, a.name, a.size, a.sha256
        FROM unnest(acc_lid, acc_sid) AS m (lid, sid) JOIN staging.attachment a ON a.load_id = m.lid;
        INSERT INTO facts.warning (submission_id, ord, code, line, path, message)
        SELECT m.sid, row_number() OVER (PARTITION BY m.sid ORDER BY d.ord), d.code, d.line,
               d.path, d.message
        FROM unnest(acc_lid, acc_sid) AS m (lid, sid) JOIN staging.diagnostic d ON d.load_id = m.lid;
        -- the merge's own warnings, numbered after the transform's
        INSERT INTO facts.warning (submission_id, ord, code, line, path, message)
        SELECT a.sid,
               (SELECT count(*) FROM staging.diagnostic d WHERE d.load_id = a.lid)
                 + row_number() OVER (PARTITION BY a.sid ORDER BY x.problem_id),
               'W_PROBLEM_DISAPPEARED', NULL, '/submission/problems',
               format('问题“%s”在 %s 的台账中状态为%s，本月台账中未列出（仍按未整改计）',
                      x.problem_id, to_char(x.last_period, 'YYYY-MM'),
                      CASE x.last_status WHEN 'open' THEN '未整改' ELSE '整改中' END)
        FROM (SELECT m.lid, m.sid, s.township_code, s.period
              FROM unnest(acc_lid, acc_sid) AS m (lid, sid)
              JOIN facts.submission s ON s.id = m.sid) a
        CROSS JOIN LATERAL load.disappeared_problems_before(a.lid, a.township_code, a.period,
                                                            a.sid) x;
    END IF;

    DELETE FROM staging.window w WHERE w.load_id = ANY (p_load_ids);
    DELETE FROM staging.leader l WHERE l.load_id = ANY (p_load_ids);
    DELETE FROM staging.walk w WHERE w.load_id = ANY (p_load_ids);
    DELETE FROM staging.problem p WHERE p.load_id = ANY (p_load_ids);
    DELETE FROM staging.text_item t WHERE t.load_id = ANY (p_load_ids);
    DELETE FROM staging.attachment a WHERE a.load_id = ANY (p_load_ids);
    DELETE FROM staging.diagnostic d WHERE d.load_id = ANY (p_load_ids);
    DELETE FROM staging.submission s WHERE s.load_id = ANY (p_load_ids);
END
$$;

GRANT EXECUTE ON FUNCTION load.disappeared_problems_before(bigint, text, date, bigint)
    TO bizenv_loader;
REVOKE ALL ON FUNCTION load.disappeared_problems_before(bigint, text, date, bigint) FROM PUBLIC;
