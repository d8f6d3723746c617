#include "export_data.h"

#include "../common/buildinfo.h"
#include "../load/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* $1 period, $2 as-of; columns as enum export_rank_col. The change since
 * the previous period is report.ranking_change's, at the same as-of. */
static const char ranking_sql[] =
    "SELECT r.code, r.name, r.service_rate::text, r.completion_rate::text, r.walk_coverage::text,"
    "       r.leader_participation::text, r.composite::text, r.composite_rank::text,"
    "       r.service_rank::text, r.completion_rank::text, r.coverage_rank::text, r.status,"
    "       array_to_string(r.missing_months, ' '), r.months_reported::text,"
    "       r.months_expected::text, r.months_on_time::text, r.reporting_rate::text,"
    "       r.on_time_rate::text, r.handled::text, r.evaluated::text, r.due::text, r.done::text,"
    "       r.windows_listed::text, r.windows_walked::text, r.leaders_listed::text,"
    "       r.leaders_walked::text,"
    "       round(r.service_rate * 100, 1)::text || '%',"
    "       round(r.completion_rate * 100, 1)::text || '%',"
    "       round(r.walk_coverage * 100, 1)::text || '%',"
    "       c.previous_rank::text, c.movement, c.composite_change::text,"
    "       CASE WHEN c.composite_change > 0 THEN '+' ELSE '' END || c.composite_change::text"
    "  FROM report.ranking($1, $2::date) AS r"
    "  LEFT JOIN report.ranking_change($1, $2::date) AS c ON c.code = r.code"
    " ORDER BY r.composite_rank NULLS LAST, r.code";

/* Columns as enum export_sum_col; best/worst as "name（code）". */
static const char summary_sql[] =
    "SELECT s.townships_listed::text, s.townships_expected::text, s.townships_reported::text,"
    "       s.townships_complete::text, s.townships_on_time::text, s.handled::text,"
    "       s.evaluated::text, s.service_rate::text, s.due::text, s.done::text,"
    "       s.completion_rate::text, s.windows_walked::text, s.windows_listed::text,"
    "       s.walk_coverage::text, s.composite::text,"
    "       s.best_service_name || '（' || s.best_service_code || '）',"
    "       s.worst_service_name || '（' || s.worst_service_code || '）',"
    "       s.best_completion_name || '（' || s.best_completion_code || '）',"
    "       s.worst_completion_name || '（' || s.worst_completion_code || '）',"
    "       s.best_coverage_name || '（' || s.best_coverage_code || '）',"
    "       s.worst_coverage_name || '（' || s.worst_coverage_code || '）',"
    "       s.best_composite_name || '（' || s.best_composite_code || '）',"
    "       s.worst_composite_name || '（' || s.worst_composite_code || '）',"
    "       s.rejected_submissions::text, s.warnings::text, s.w_service::text,"
    "       s.w_completion::text, s.w_coverage::text"
    "  FROM report.county_summary($1, $2::date) AS s";

/* Sub-periods that have begun by the as-of date; columns as enum export_group_col. */
static const char groups_sql[] =
    "SELECT sp.first_day::text, sp.months::text, r.code, r.name, r.handled::text,"
    "       r.evaluated::text, r.due::text, r.done::text, r.windows_listed::text,"
    "       r.windows_walked::text, r.leaders_listed::text, r.leaders_walked::text,"
    "       r.months_expected::text, r.months_reported::text, r.months_on_time::text"
    "  FROM report.sub_periods($1) AS sp"
    "  CROSS JOIN LATERAL report.ranking(sp.label, $2::date) AS r"
    " WHERE sp.first_day <= $2::date"
    " ORDER BY sp.months, sp.first_day, r.code";

/* The period in words, the previous period of the same kind ('' before
 * 1900) in words, and the number of months ($2 only because query()
 * passes the as-of to every statement). */
static const char period_sql[] =
    "SELECT report.period_name($1), coalesce(report.previous_period($1), ''),"
    "       coalesce(report.period_name(report.previous_period($1)), ''), cardinality(b.months)"
    "  FROM report.period_bounds($1) AS b WHERE $2::date IS NOT NULL";

/* Columns as enum export_trend_col. */
static const char trend_sql[] =
    "SELECT t.code, t.name, t.month, t.composite::text, t.month_rank::text"
    "  FROM report.ranking_trend($1, $2::date) AS t";

/* Columns as enum export_problem_col: the labels of the analysts' views. */
static const char problems_sql[] =
    "SELECT p.township_code, p.problem_id,"
    "       CASE p.source WHEN 'walk' THEN '走流程' WHEN 'supervision' THEN '监督检查'"
    "                     WHEN 'complaint' THEN '投诉' ELSE '其他' END,"
    "       p.found::text, p.deadline::text,"
    "       CASE WHEN p.rectified IS NOT NULL THEN p.rectified::text || ' 整改完成（期后）'"
    "            WHEN p.status = 'rectifying' THEN '整改中' ELSE '未整改' END,"
    "       p.description"
    "  FROM report.open_problems($1, $2::date) AS p";

/* Columns as enum export_warning_col. */
static const char warnings_sql[] =
    "SELECT w.township_code, w.month, w.revision::text, w.code, w.message"
    "  FROM report.period_warnings($1, $2::date) AS w";

static const char refresh_sql[] = "SELECT report.refresh_ranking($1, $2::date) AS run_id,"
                                  "       to_char(now(), 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM') AS at,"
                                  "       now()::text AS ts";

/* A ranking run stored before (by the nightly), checked to be of this
 * period and as-of date. */
static const char stored_sql[] =
    "SELECT r.id AS run_id, to_char(now(), 'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM') AS at,"
    "       now()::text AS ts"
    "  FROM facts.ranking_run r"
    " WHERE r.id = $3::bigint AND r.period = $1 AND r.as_of = $2::date";

/* The county of the active townships, and how many counties they span. */
static const char county_sql[] =
    "SELECT substr(min(t.code), 1, 6), count(DISTINCT substr(t.code, 1, 6))"
    "  FROM ref.township t WHERE t.active";

const char *
export_data_cell(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* Runs one query with $1 period and $2 as-of (none when period is NULL),
 * and $3 run when given; a bad period (SQLSTATE 22023 from
 * report.period_bounds) is the user's mistake. */
static int
query_run(PGconn *conn, const char *sql, const char *period, const char *as_of, const char *run,
          int ncols, const char *what, PGresult **out, struct bz_error *e)
{
    const char *v[] = {period, as_of, run};
    int n = period == NULL ? 0 : run == NULL ? 2 : 3;
    PGresult *res = PQexecParams(conn, sql, n, NULL, v, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK && (ncols == 0 || PQnfields(res) == ncols)) {
        *out = res;
        return 0;
    }
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    int rc;
    if (state != NULL && strcmp(state, "22023") == 0) {
        const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        rc = bz_error_set(e, E_USAGE, "%s", msg ? msg : "无效的排名期间");
    } else {
        rc = db_error(e, conn, res, what);
    }
    PQclear(res);
    return rc;
}

static int
query(PGconn *conn, const char *sql, const char *period, const char *as_of, int ncols,
      const char *what, PGresult **out, struct bz_error *e)
{
    return query_run(conn, sql, period, as_of, NULL, ncols, what, out, e);
}

/* The ranking run the export records: a new one stored now (run_id 0), or
 * the stored run_id, which must be of this period and as-of date. */
static int
ranking_run(PGconn *conn, long long run_id, struct export_data *d, struct bz_error *e)
{
    PGresult *res = NULL;
    char run[32];
    int rc;
    if (run_id == 0) {
        rc = query(conn, refresh_sql, d->period, d->as_of, 3, "保存排名", &res, e);
    } else {
        snprintf(run, sizeof(run), "%lld", run_id);
        rc = query_run(conn, stored_sql, d->period, d->as_of, run, 3, "读取已保存的排名", &res, e);
        if (rc == 0 && PQntuples(res) != 1) {
            PQclear(res);
            return bz_error_set(e, E_INTERNAL, "排名记录 #%lld 不是 %s（截至 %s）的排名", run_id,
                                d->period, d->as_of);
        }
    }
    if (rc < 0)
        return rc;
    d->run_id = strtoll(PQgetvalue(res, 0, PQfnumber(res, "run_id")), NULL, 10);
    snprintf(d->exported_at, sizeof(d->exported_at), "%s",
             PQgetvalue(res, 0, PQfnumber(res, "at")));
    snprintf(d->recorded_at, sizeof(d->recorded_at), "%s",
             PQgetvalue(res, 0, PQfnumber(res, "ts")));
    PQclear(res);
    return 0;
}

static int
county_identity(PGconn *conn, const struct settings *s, struct export_data *d, struct bz_error *e)
{
    PGresult *res = NULL;
    if (s->county_code[0] != '\0') {
        snprintf(d->county_code, sizeof(d->county_code), "%s", s->county_code);
    } else {
        int rc = query(conn, county_sql, NULL, NULL, 2, "查询乡镇名录", &res, e);
        if (rc < 0)
            return rc;
        long counties = strtol(PQgetvalue(res, 0, 1), NULL, 10);
        if (counties > 1) {
            /* a registry of several counties (a prefecture's or a province's
             * townships loaded into one database) has no one county to export */
            rc = bz_error_set(e, E_CONFIG,
                              "乡镇名录包含 %ld 个县的乡镇，无法确定本县代码（请设置 county_code）",
                              counties);
            PQclear(res);
            return rc;
        }
        if (!PQgetisnull(res, 0, 0))
            snprintf(d->county_code, sizeof(d->county_code), "%s", PQgetvalue(res, 0, 0));
        PQclear(res);
    }
    size_t len = strlen(d->county_code);
    if (len != 6 || strspn(d->county_code, "0123456789") != 6)
        return bz_error_set(e, E_CONFIG, "无法确定本县代码（设置 county_code，或先载入乡镇名录）");
    snprintf(d->county_name, sizeof(d->county_name), "%s",
             s->county_name[0] ? s->county_name : d->county_code);
    return 0;
}

/* What only the printed workbook shows: the period in words, the trend
 * (quarters, halves and years), open problems and warnings. */
static int
fetch_print(PGconn *conn, struct export_data *d, struct bz_error *e)
{
    PGresult *res = NULL;
    int rc = query(conn, period_sql, d->period, d->as_of, 4, "读取期间", &res, e);
    if (rc < 0)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return bz_error_set(e, E_INTERNAL, "期间名称应为一行");
    }
    snprintf(d->period_name, sizeof(d->period_name), "%s", PQgetvalue(res, 0, 0));
    snprintf(d->previous, sizeof(d->previous), "%s", PQgetvalue(res, 0, 1));
    snprintf(d->prev_name, sizeof(d->prev_name), "%s", PQgetvalue(res, 0, 2));
    d->months = atoi(PQgetvalue(res, 0, 3));
    PQclear(res);
    if (d->months > 1)
        rc = query(conn, trend_sql, d->period, d->as_of, TR_NCOLS, "读取逐月趋势", &d->trend, e);
    if (rc == 0)
        rc = query(conn, problems_sql, d->period, d->as_of, PB_NCOLS, "读取未整改问题",
                   &d->problems, e);
    if (rc == 0)
        rc = query(conn, warnings_sql, d->period, d->as_of, WN_NCOLS, "读取报送警告", &d->warnings,
                   e);
    return rc;
}

int
export_data_fetch(PGconn *conn, const struct settings *s, const char *period, const char *as_of,
                  long long run_id, struct export_data *d, struct bz_error *e)
{
    memset(d, 0, sizeof(*d));
    snprintf(d->build, sizeof(d->build), "%s", buildinfo_label());
    snprintf(d->period, sizeof(d->period), "%s", period);
    snprintf(d->as_of, sizeof(d->as_of), "%s", as_of);
    int rc = county_identity(conn, s, d, e);
    if (rc == 0)
        rc = ranking_run(conn, run_id, d, e);
    if (rc < 0)
        goto out;
    rc = query(conn, ranking_sql, period, as_of, RK_NCOLS, "读取排名", &d->ranking, e);
    if (rc == 0)
        rc = query(conn, summary_sql, period, as_of, SU_NCOLS, "读取全县汇总", &d->summary, e);
    if (rc == 0 && PQntuples(d->summary) != 1)
        rc = bz_error_set(e, E_INTERNAL, "全县汇总应为一行");
    if (rc == 0)
        rc = query(conn, groups_sql, period, as_of, GR_NCOLS, "读取汇总计数", &d->groups, e);
    if (rc == 0)
        rc = fetch_print(conn, d, e);
out:
    if (rc < 0)
        export_data_free(d);
    return rc;
}

void
export_data_free(struct export_data *d)
{
    PQclear(d->ranking);
    PQclear(d->summary);
    PQclear(d->groups);
    PQclear(d->trend);
    PQclear(d->problems);
    PQclear(d->warnings);
    d->ranking = d->summary = d->groups = NULL;
    d->trend = d->problems = d->warnings = NULL;
}
