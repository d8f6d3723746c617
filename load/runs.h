/*
 * runs — the record of each ingest or nightly run (meta.run, sql/meta/runs.sql)
 * and the database half of the one-run-at-a-time lock.
 *
 * A run is recorded when it starts (which marks runs left 'running' by a
 * killed process as aborted) and when it ends, with its counts, the
 * townships that have not reported and its error. `bizenv runs` reads
 * them back through report.run (sql/report/views.sql): without host, pid
 * or summary path, so an analyst may read it too. Times are shown in the
 * county's time zone (report.county_timezone). Values reach the server
 * only as parameters. Never prints.
 */
#ifndef BZ_RUNS_H
#define BZ_RUNS_H

#include "../common/error.h"
#include "pgutil.h"

#include <libpq-fe.h>
#include <stddef.h>

/*
 * Tries the session advisory lock every bizenv run takes (it holds across
 * hosts sharing the database; the server drops it when the session ends,
 * even after SIGKILL): *got is 1 when taken, 0 when another session holds
 * it. Returns 0 or the database error.
 */
int runs_try_lock(PGconn *conn, int *got, struct bz_error *e);

/*
 * Records the start of a run of `kind` ("nightly" or "ingest") as of
 * `as_of` (YYYY-MM-DD) by this host and process and this build. Returns 0
 * with *id set, or the database error.
 */
int runs_begin(PGconn *conn, const char *kind, const char *as_of, long long *id,
               struct bz_error *e);

/* How a run ended. */
struct runs_end {
    int failed;
    size_t files_taken, accepted, duplicates, rejected, warnings;
    const char *const *missing; /* codes of the townships that have not reported */
    size_t nmissing;
    const char *error_code, *error_text; /* when failed */
    const char *summary_path;            /* NULL when no summary was written */
};

/* Records the end of run `id`. Returns 0 or the database error. */
int runs_end(PGconn *conn, long long id, const struct runs_end *end, struct bz_error *e);

/* Columns of runs_list, as `bizenv runs` prints them. */
enum runs_col {
    RUNS_ID,
    RUNS_KIND,
    RUNS_STARTED,  /* YYYY-MM-DD HH24:MI:SS, county time */
    RUNS_FINISHED, /* HH24:MI:SS, or "-" */
    RUNS_STATUS,   /* 成功 / 失败 / 运行中 / 中断 */
    RUNS_FILES,
    RUNS_ACCEPTED,
    RUNS_DUPLICATES,
    RUNS_REJECTED,
    RUNS_WARNINGS,
    RUNS_MISSING, /* codes, space-separated */
    RUNS_ERROR,   /* "CODE text", or "" */
    RUNS_NCOLS
};

/* The latest `last` runs, newest first; only reads. Returns 0 with *out,
 * or the database error. */
int runs_list(PGconn *conn, long last, struct pgutil_rows *out, struct bz_error *e);

#endif
