-- One row per nightly (or ingest) run in meta.run, for `bizenv runs` and
-- for operations staff: when it ran, how it ended, what it took.

-- Starts a run: marks runs left 'running' by killed processes as aborted
-- (the caller holds the run lock, so none of them is alive) and returns
-- the new run's id. build_version is the running bizenv's --version label.
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

-- Ends a run: its outcome, its counts, the townships that have not
-- reported, the error when it failed, where its summary was written.
CREATE FUNCTION meta.run_end(run_id bigint, status text, files_taken int, accepted int,
                             duplicates int, rejected int, warnings int,
                             missing_townships text[], error_code text, error_text text,
                             summary_path text)
RETURNS void
LANGUAGE sql
AS $$
    UPDATE meta.run
       SET finished_at = now(), status = $2, files_taken = $3, accepted = $4,
           duplicates = $5, rejected = $6, warnings = $7, missing_townships = $8,
           error_code = $9, error_text = $10, summary_path = $11
     WHERE id = $1;
$$;
