-- What `bizenv template` pre-fills the monthly workbooks (填报表) with.
--
-- export/template.c reads these (by column name) in one REPEATABLE READ
-- transaction and writes one workbook per township. Only accepted
-- submissions are in facts.submission; of a month, the highest revision is
-- the current one.
--
-- * workbook_base: the townships (every active one, or those named), the
--   current revision of the period if there is one (a --revise workbook is
--   made from it, any other is refused), and the latest submission before
--   the period (windows and leaders are pre-filled from it).
-- * workbook_open_problems: the problem ledger as of the end of the month
--   before the period — each problem as last reported in a month before
--   it, kept when that report says it was not rectified (a problem that
--   disappeared from a later month while open is still open: W_PROBLEM_DISAPPEARED).
-- * workbook_submission, _windows, _leaders, _walks, _problems, _texts: the
--   rows of given submissions, in their document order.

CREATE FUNCTION load.workbook_base(p_period date, p_codes text[])
RETURNS TABLE (township_code text, township_name text, active boolean,
               current_id bigint, current_revision int, current_sha256 text,
               base_id bigint, base_period date, base_sha256 text, deadline date)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.code, t.name, t.active,
           cur.id, cur.revision, cur.doc_sha256,
           base.id, base.period, base.doc_sha256,
           -- the last day a report of the period is on time (report.deadline
           -- returns the first instant that is late)
           ((report.deadline(p_period) AT TIME ZONE report.county_timezone())
            - interval '1 second')::date
    FROM ref.township t
    LEFT JOIN LATERAL (
        SELECT s.id, s.revision, s.doc_sha256
        FROM facts.submission s
        WHERE s.township_code = t.code AND s.period = p_period
        ORDER BY s.revision DESC
        LIMIT 1) cur ON true
    LEFT JOIN LATERAL (
        SELECT s.id, s.period, s.doc_sha256
        FROM facts.submission s
        WHERE s.township_code = t.code AND s.period < p_period
        ORDER BY s.period DESC, s.revision DESC
        LIMIT 1) base ON true
    WHERE (p_codes IS NULL AND t.active) OR t.code = ANY (p_codes)
    ORDER BY t.code
$$;

CREATE FUNCTION load.workbook_open_problems(p_period date, p_codes text[])
RETURNS TABLE (township_code text, problem_id text, source text, found date, status text,
               deadline date, description text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH current_month AS (
        SELECT DISTINCT ON (s.township_code, s.period) s.id, s.township_code, s.period
        FROM facts.submission s
        WHERE s.period < p_period AND s.township_code = ANY (p_codes)
        ORDER BY s.township_code, s.period, s.revision DESC
    ), last_reported AS (
        SELECT DISTINCT ON (c.township_code, p.problem_id)
               c.township_code, p.problem_id, p.source, p.found, p.status, p.deadline,
               p.description
        FROM current_month c
        JOIN facts.problem p ON p.submission_id = c.id
        ORDER BY c.township_code, p.problem_id, c.period DESC
    )
    SELECT l.township_code, l.problem_id, l.source, l.found, l.status, l.deadline, l.description
    FROM last_reported l
    WHERE l.status <> 'rectified'
    ORDER BY l.township_code, l.found, l.problem_id
$$;

CREATE FUNCTION load.workbook_submission(p_ids bigint[])
RETURNS TABLE (submission_id bigint, submitted_at text, contact_name text, contact_phone text,
               sites_total int, sites_with_window int, consultations int,
               consultations_approx boolean, job_postings int, job_postings_approx boolean,
               recruitment_events int, county_items int, handled int, evaluated int,
               reported_rate text, symposia int, merchants_visited int,
               enterprises_visited int, inspections int, warning_sessions int, violations int,
               complaints_received int, complaints_resolved int)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.id,
           to_char(s.submitted_at AT TIME ZONE report.county_timezone(), 'YYYY-MM-DD HH24:MI:SS'),
           s.contact_name, s.contact_phone, s.sites_total, s.sites_with_window,
           s.consultations, s.consultations_approx, s.job_postings, s.job_postings_approx,
           s.recruitment_events, s.county_items, s.handled, s.evaluated,
           s.reported_rate::text, s.symposia, s.merchants_visited, s.enterprises_visited,
           s.inspections, s.warning_sessions, s.violations, s.complaints_received,
           s.complaints_resolved
    FROM facts.submission s
    WHERE s.id = ANY (p_ids)
    ORDER BY s.id
$$;

CREATE FUNCTION load.workbook_windows(p_ids bigint[])
RETURNS TABLE (submission_id bigint, window_id text, name text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT w.submission_id, w.window_id, w.name
    FROM facts.window w
    WHERE w.submission_id = ANY (p_ids)
    ORDER BY w.submission_id, w.ord
$$;

CREATE FUNCTION load.workbook_leaders(p_ids bigint[])
RETURNS TABLE (submission_id bigint, leader_id text, role text, title text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT l.submission_id, l.leader_id, l.role, l.title
    FROM facts.leader l
    WHERE l.submission_id = ANY (p_ids)
    ORDER BY l.submission_id, l.ord
$$;

CREATE FUNCTION load.workbook_walks(p_ids bigint[])
RETURNS TABLE (submission_id bigint, walk_date date, leader_id text, window_id text,
               problem_ids text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT w.submission_id, w.walk_date, w.leader_id, w.window_id,
           array_to_string(w.problem_ids, ' ')
    FROM facts.walk w
    WHERE w.submission_id = ANY (p_ids)
    ORDER BY w.submission_id, w.ord
$$;

CREATE FUNCTION load.workbook_problems(p_ids bigint[])
RETURNS TABLE (submission_id bigint, problem_id text, source text, found date, status text,
               rectified date, deadline date, description text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p.submission_id, p.problem_id, p.source, p.found, p.status, p.rectified,
           p.deadline, p.description
    FROM facts.problem p
    WHERE p.submission_id = ANY (p_ids)
    ORDER BY p.submission_id, p.ord
$$;

CREATE FUNCTION load.workbook_texts(p_ids bigint[])
RETURNS TABLE (submission_id bigint, kind text, body text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.submission_id, t.kind, t.body
    FROM facts.text_item t
    WHERE t.submission_id = ANY (p_ids)
    ORDER BY t.submission_id,
             array_position(ARRAY['mechanism', 'difficulty', 'next_step', 'suggestion'], t.kind),
             t.ord
$$;

-- The window catalog's names, for the window name dropdown.
CREATE FUNCTION load.workbook_window_names()
RETURNS TABLE (name text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.name FROM ref.window_catalog c ORDER BY c.ord
$$;
