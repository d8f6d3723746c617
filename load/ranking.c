#include "ranking.h"

#include "../common/dbuf.h"
#include "db.h"

#include <stdio.h>
#include <string.h>

/* $1 = period, $2 = as-of date. */
static const char sql_ranking[] =
    "SELECT r.composite_rank::text AS rank, r.code, r.name,"
    " round(r.service_rate * 100, 2)::text AS service,"
    " round(r.completion_rate * 100, 2)::text AS completion,"
    " round(r.walk_coverage * 100, 2)::text AS coverage, r.composite::text AS composite,"
    " r.service_rank::text AS service_rank, r.completion_rank::text AS completion_rank,"
    " r.coverage_rank::text AS coverage_rank, r.status,"
    " array_to_string(r.missing_months, ' ') AS missing,"
    " round(r.service_rate * 100, 1)::text || '%' AS service_pct,"
    " round(r.completion_rate * 100, 1)::text || '%' AS completion_pct,"
    " round(r.walk_coverage * 100, 1)::text || '%' AS coverage_pct"
    " FROM report.ranking($1, $2::date) AS r"
    " ORDER BY r.composite_rank NULLS LAST, r.code";
static const char *const ranking_cols[RANKING_NCOLS] = {
    "rank",     "code",      "name",         "service",         "completion",
    "coverage", "composite", "service_rank", "completion_rank", "coverage_rank",
    "status",   "missing",   "service_pct",  "completion_pct",  "coverage_pct"};

static const char sql_refresh[] = "SELECT period, run_id, refreshed "
                                  "FROM report.refresh_rankings_if_changed($1::text[], $2::date)";
static const char *const refresh_cols[REFRESH_NCOLS] = {"period", "run_id", "refreshed"};

/* The month's stored run, computed only when its inputs changed, so a
 * quiet night does not rank all history again. */
static const char sql_month_run[] =
    "SELECT run_id FROM report.refresh_ranking_if_changed($1, $2::date)";
/* Its figures, in a statement of their own: a statement does not see rows
 * stored by a function it calls (its stable functions read its snapshot),
 * so joined to the refresh above they missed a run stored that night. */
static const char sql_reporting[] =
    "SELECT s.code, s.name, s.status, s.months_reported, s.months_on_time"
    " FROM report.stored_figures($1::bigint) s ORDER BY s.code";
static const char *const reporting_cols[REPORTING_NCOLS] = {"code", "name", "status",
                                                            "months_reported", "months_on_time"};

int
ranking_read(PGconn *conn, const char *period, const char *as_of, struct pgutil_rows *out,
             struct bz_error *e)
{
    const char *params[2] = {period, as_of};
    memset(out, 0, sizeof(*out));
    PGresult *res = PQexecParams(conn, sql_ranking, 2, NULL, params, NULL, NULL, 0);
    int rc;
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        rc = pgutil_rows_take(res, ranking_cols, RANKING_NCOLS, out, e);
    } else if (state != NULL && strcmp(state, "22023") == 0) {
        /* report.period_bounds: a period that is not one is the user's mistake */
        const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
        rc = bz_error_set(e, E_USAGE, "%s", msg != NULL ? msg : "无效的排名期间");
        if (hint != NULL)
            bz_error_detail(e, "%s", hint);
    } else {
        rc = db_error(e, conn, res, "计算排名");
    }
    PQclear(res);
    return rc;
}

int
ranking_refresh(PGconn *conn, const char *const *periods, size_t n, const char *as_of,
                struct pgutil_rows *out, struct bz_error *e)
{
    struct dbuf list;
    /* a few dozen periods of at most 7 characters */
    dbuf_init(&list, 4096);
    int rc = pgutil_array_literal(&list, periods, n);
    if (rc < 0) {
        memset(out, 0, sizeof(*out));
        rc = pgutil_buffer_error(rc, e);
    } else {
        const char *params[2] = {list.data, as_of};
        rc = pgutil_query_rows(conn, sql_refresh, 2, params, "刷新排名", refresh_cols,
                               REFRESH_NCOLS, out, e);
    }
    dbuf_free(&list);
    return rc;
}

int
ranking_month_run(PGconn *conn, const char *month, const char *as_of, char run[32],
                  struct bz_error *e)
{
    static const char *const run_col[1] = {"run_id"};
    struct pgutil_rows rows;
    const char *params[2] = {month, as_of};
    run[0] = '\0';
    int rc =
        pgutil_query_rows(conn, sql_month_run, 2, params, "刷新上月排名", run_col, 1, &rows, e);
    if (rc == 0 && (rows.n != 1 || pgutil_rows_at(&rows, 0, 0) == NULL))
        rc = bz_error_set(e, E_INTERNAL, "刷新上月排名没有返回排名计算编号");
    if (rc == 0)
        snprintf(run, 32, "%s", pgutil_rows_at(&rows, 0, 0));
    pgutil_rows_free(&rows);
    return rc;
}

int
ranking_reporting(PGconn *conn, const char *run, struct pgutil_rows *out, struct bz_error *e)
{
    const char *id[1] = {run};
    return pgutil_query_rows(conn, sql_reporting, 1, id, "查询报送情况", reporting_cols,
                             REPORTING_NCOLS, out, e);
}
