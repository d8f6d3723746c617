-- 080: merging a whole batch of staged submissions with one call.
--
-- The pipeline stages many submissions (one COPY per staging table per
-- batch, load/loader.c loader_stage_*) and merges them here, in the order
-- of p_load_ids (file order). Each one goes through load.merge_submission
-- exactly as a call of its own would, so the revision rules (duplicate,
-- conflict, stale) see every earlier submission of the same batch: two
-- revisions of one township and month in one batch are decided in order.
-- An error in any of them aborts the statement and so the caller's batch
-- transaction: nothing of the batch is stored and its files go back to the
-- inbox (the same as a failed single load inside a batch).
CREATE FUNCTION load.merge_batch(p_load_ids bigint[])
RETURNS TABLE (load_id bigint, outcome text, submission_id bigint, current_revision int)
LANGUAGE plpgsql AS $$
DECLARE
    i int;
    m record;
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_load_ids, 1), 0) LOOP
        m := load.merge_submission(p_load_ids[i]);
        load_id := p_load_ids[i];
        outcome := m.outcome;
        submission_id := m.submission_id;
        current_revision := m.current_revision;
        RETURN NEXT;
    END LOOP;
END
$$;

-- The warnings the merge added to the accepted submissions of a batch.
CREATE FUNCTION load.merge_batch_warnings(p_submission_ids bigint[])
RETURNS TABLE (submission_id bigint, code text, line int, path text, message text)
LANGUAGE sql STABLE AS $$
    SELECT w.submission_id, w.code, w.line, w.path, w.message FROM facts.warning w
    WHERE w.submission_id = ANY (p_submission_ids) AND w.code IN ('W_PROBLEM_DISAPPEARED')
    ORDER BY w.submission_id, w.ord;
$$;

GRANT EXECUTE ON FUNCTION load.merge_batch(bigint[]) TO bizenv_loader;
GRANT EXECUTE ON FUNCTION load.merge_batch_warnings(bigint[]) TO bizenv_loader;
REVOKE ALL ON FUNCTION load.merge_batch(bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION load.merge_batch_warnings(bigint[]) FROM PUBLIC;
