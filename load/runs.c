#include "runs.h"

#include "../common/buildinfo.h"
#include "../common/dbuf.h"
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The run lock's key: "bizenv" in ASCII, fixed so every bizenv version and
 * host agrees on it (not the migration lock's key, migrate.c). */
static const char sql_lock[] = "SELECT pg_try_advisory_lock(108205164555894) AS got";
static const char sql_begin[] = "SELECT meta.run_begin($1, $2::date, $3, $4::int, $5) AS id";
static const char sql_end[] =
    "SELECT meta.run_end($1::bigint, $2, $3::int, $4::int, $5::int, $6::int, $7::int,"
    " $8::text[], $9, $10, $11)";
static const char sql_list[] =
    "SELECT id, kind,"
    " to_char(started_at AT TIME ZONE report.county_timezone(), 'YYYY-MM-DD HH24:MI:SS') AS "
    "started,"
    " coalesce(to_char(finished_at AT TIME ZONE report.county_timezone(), 'HH24:MI:SS'), '-')"
    "  AS finished,"
    " CASE status WHEN 'ok' THEN '成功' WHEN 'failed' THEN '失败' WHEN 'running' THEN '运行中'"
    "  ELSE '中断' END AS status,"
    " files_taken, accepted, duplicates, rejected, warnings,"
    " array_to_string(missing_townships, ' ') AS missing,"
    " coalesce(error_code || ' ' || error_text, '') AS error"
    " FROM report.run ORDER BY id DESC LIMIT $1::int";
static const char *const list_cols[RUNS_NCOLS] = {
    "id",       "kind",       "started",  "finished", "status",  "files_taken",
    "accepted", "duplicates", "rejected", "warnings", "missing", "error"};

int
runs_try_lock(PGconn *conn, int *got, struct bz_error *e)
{
    PGresult *res;
    int rc = pgutil_query_row(conn, sql_lock, 0, NULL, "获取数据库运行锁", &res, e);
    *got = rc == 0 && strcmp(PQgetvalue(res, 0, PQfnumber(res, "got")), "t") == 0;
    PQclear(res);
    return rc;
}

int
runs_begin(PGconn *conn, const char *kind, const char *as_of, long long *id, struct bz_error *e)
{
    char host[256] = "", pid[32];
    PGresult *res;
    gethostname(host, sizeof(host) - 1);
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    const char *params[] = {kind, as_of, host, pid, buildinfo_label()};
    int rc = pgutil_query_row(conn, sql_begin, 5, params, "登记运行记录", &res, e);
    *id = rc == 0 ? atoll(PQgetvalue(res, 0, PQfnumber(res, "id"))) : 0;
    PQclear(res);
    return rc;
}

int
runs_end(PGconn *conn, long long id, const struct runs_end *end, struct bz_error *e)
{
    char v[6][32];
    struct dbuf missing;
    PGresult *res = NULL;
    /* 9-digit codes: a province's 1,500 fit with room to spare */
    dbuf_init(&missing, 1u << 20);
    int rc = pgutil_array_literal(&missing, end->missing, end->nmissing);
    if (rc < 0)
        return pgutil_buffer_error(rc, e);
    snprintf(v[0], sizeof(v[0]), "%lld", id);
    snprintf(v[1], sizeof(v[1]), "%zu", end->files_taken);
    snprintf(v[2], sizeof(v[2]), "%zu", end->accepted);
    snprintf(v[3], sizeof(v[3]), "%zu", end->duplicates);
    snprintf(v[4], sizeof(v[4]), "%zu", end->rejected);
    snprintf(v[5], sizeof(v[5]), "%zu", end->warnings);
    const char *params[] = {v[0],
                            end->failed ? "failed" : "ok",
                            v[1],
                            v[2],
                            v[3],
                            v[4],
                            v[5],
                            missing.data,
                            end->failed ? end->error_code : NULL,
                            end->failed ? end->error_text : NULL,
                            end->summary_path};
    rc = pgutil_query_row(conn, sql_end, 11, params, "结束运行记录", &res, e);
    PQclear(res);
    dbuf_free(&missing);
    return rc;
}

int
runs_list(PGconn *conn, long last, struct pgutil_rows *out, struct bz_error *e)
{
    char n[32];
    snprintf(n, sizeof(n), "%ld", last);
    const char *params[1] = {n};
    return pgutil_query_rows(conn, sql_list, 1, params, "查询运行记录", list_cols, RUNS_NCOLS, out,
                             e);
}
