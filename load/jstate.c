#include "jstate.h"

#include "../common/dbuf.h"
#include "db.h"
#include "pgutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char sql_has_state[] =
    "SELECT to_regclass('meta.journal_state') IS NOT NULL AS present";
static const char sql_state[] = "SELECT journal_id, txn, rebuilding FROM meta.journal_state";
static const char sql_commit[] = "SELECT meta.journal_commit($1, $2::bigint, $3::boolean)";
static const char sql_rebuilding[] = "UPDATE meta.journal_state SET rebuilding = $1::boolean";
static const char sql_add_unreported[] =
    "UPDATE meta.journal_state SET unreported ="
    " CASE WHEN unreported = '' THEN $1"
    "      WHEN $1 = ANY (string_to_array(unreported, '、')) THEN unreported"
    "      ELSE unreported || '、' || $1 END";
static const char sql_take_unreported[] =
    "UPDATE meta.journal_state s SET unreported = '' FROM meta.journal_state old"
    " WHERE old.singleton AND s.singleton RETURNING old.unreported AS what";
static const char sql_txn_time[] = "SELECT now()::text AS at";
static const char sql_drift[] =
    "SELECT known, weights, settings, townships, counties FROM meta.journal_drift($1)";
static const char sql_weights[] =
    "SELECT w_service::text AS service, w_completion::text AS completion,"
    " w_coverage::text AS coverage FROM report.weights()";
/* numeric 'NaN' and 'Infinity' are refused by the CHECK of migration 089 */
static const char sql_set_weights[] =
    "INSERT INTO ref.weight (figure, weight)"
    " VALUES ('service', $1::numeric), ('completion', $2::numeric), ('coverage', $3::numeric)"
    " ON CONFLICT (figure) DO UPDATE SET weight = excluded.weight";
static const char sql_setting[] = "SELECT value FROM ref.setting WHERE key = $1";
static const char sql_settings[] = "SELECT key, value FROM ref.setting ORDER BY key";
static const char sql_set_setting[] = "UPDATE ref.setting SET value = $2 WHERE key = $1";
static const char sql_zone_known[] =
    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names WHERE name = $1) AS known";
static const char sql_townships[] =
    "SELECT code, name, CASE WHEN active THEN 't' ELSE 'f' END AS active"
    " FROM ref.township ORDER BY code";
static const char sql_counties[] =
    "SELECT code, name, CASE WHEN active THEN 't' ELSE 'f' END AS active"
    " FROM ref.county ORDER BY code";
static const char sql_restore_registry[] =
    "SELECT load.restore_registry($1::boolean, $2::text[], $3::text[], $4::boolean[])";
static const char sql_files[] = "SELECT count(*) AS n FROM raw.file";
/* Which of bizenv's tables exist (asked of the catalog, before any
 * migration: a new database has none). */
static const char sql_tables[] =
    "SELECT bool_or(c.relname = 'journal_state' AND n.nspname = 'meta') AS has_state,"
    " bool_or(c.relname = 'township' AND n.nspname = 'ref') AS has_ref"
    " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname IN ('meta', 'ref') AND c.relkind = 'r'";
static const char sql_content[] =
    "SELECT EXISTS (SELECT 1 FROM ref.township) OR EXISTS (SELECT 1 FROM ref.county)"
    " OR EXISTS (SELECT 1 FROM raw.file) OR EXISTS (SELECT 1 FROM meta.run)"
    " OR EXISTS (SELECT 1 FROM facts.submission) OR EXISTS (SELECT 1 FROM meta.export)"
    " AS filled";
/* the baseline's own DO block (sql/migrations/087_baseline.sql) */
static const char sql_roles[] = "DO $$ DECLARE r text; BEGIN"
                                " FOREACH r IN ARRAY ARRAY['bizenv_loader', 'bizenv_analyst'] LOOP"
                                "  BEGIN"
                                "   IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN"
                                "    EXECUTE format('CREATE ROLE %I NOLOGIN', r);"
                                "   END IF;"
                                "  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;"
                                "  END;"
                                " END LOOP; END $$";
static const char sql_schema[] =
    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname IN"
    " ('ref', 'raw', 'staging', 'facts', 'load', 'meta', 'report')) AS found";
static const char sql_stored_run[] =
    "SELECT coalesce(max(r.id), 0) AS id FROM facts.ranking_run r"
    " WHERE r.period = $1 AND r.as_of = $2::date AND r.inputs IS NOT NULL";
static const char sql_checksums[] = "SELECT current_setting('data_checksums') AS on";
static const char sql_has_amcheck[] =
    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'amcheck') AS found";

/* Runs sql with n text parameters; *out (when not NULL) receives the
 * result, else it is cleared. */
static int
run(PGconn *conn, const char *sql, int n, const char *const *params, const char *what,
    PGresult **out, struct bz_error *e)
{
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        int rc = db_error(e, conn, res, what);
        PQclear(res);
        return rc;
    }
    if (out != NULL)
        *out = res;
    else
        PQclear(res);
    return 0;
}

static int
flag(const PGresult *res, int row, const char *col)
{
    int c = PQfnumber(res, col);
    return c >= 0 && row < PQntuples(res) && strcmp(PQgetvalue(res, row, c), "t") == 0;
}

static const char *
text(const PGresult *res, int row, const char *col)
{
    int c = PQfnumber(res, col);
    return c >= 0 && row < PQntuples(res) ? PQgetvalue(res, row, c) : "";
}

int
jstate_txn_begin(PGconn *conn, struct bz_error *e)
{
    return pgutil_exec(conn, "BEGIN", "开始数据库事务", e);
}

int
jstate_txn_commit(PGconn *conn, struct bz_error *e)
{
    return pgutil_commit(conn, "提交数据库事务", e);
}

void
jstate_txn_rollback(PGconn *conn)
{
    pgutil_rollback(conn);
}

int
jstate_read(PGconn *conn, struct jstate *st, struct bz_error *e)
{
    PGresult *res;
    memset(st, 0, sizeof(*st));
    int rc = run(conn, sql_has_state, 0, NULL, "读取日志状态", &res, e);
    if (rc < 0)
        return rc;
    int has = flag(res, 0, "present");
    PQclear(res);
    if (!has)
        return 0;
    rc = run(conn, sql_state, 0, NULL, "读取日志状态", &res, e);
    if (rc < 0)
        return rc;
    if (PQntuples(res) == 1) {
        st->present = 1;
        snprintf(st->journal_id, sizeof(st->journal_id), "%s", text(res, 0, "journal_id"));
        st->txn = strtoll(text(res, 0, "txn"), NULL, 10);
        st->rebuilding = flag(res, 0, "rebuilding");
    }
    PQclear(res);
    return 0;
}

int
jstate_commit(PGconn *conn, const char *jid, long long g, int with_state, struct bz_error *e)
{
    char num[32];
    snprintf(num, sizeof(num), "%lld", g);
    const char *v[] = {jid, num, with_state ? "true" : "false"};
    return run(conn, sql_commit, 3, v, "记录日志位置", NULL, e);
}

int
jstate_set_rebuilding(PGconn *conn, int on, struct bz_error *e)
{
    const char *v[] = {on ? "true" : "false"};
    return run(conn, sql_rebuilding, 1, v, "记录重建状态", NULL, e);
}

int
jstate_txn_time(PGconn *conn, char out[64], struct bz_error *e)
{
    PGresult *res;
    int rc = run(conn, sql_txn_time, 0, NULL, "读取事务时间", &res, e);
    if (rc < 0)
        return rc;
    snprintf(out, 64, "%s", text(res, 0, "at"));
    PQclear(res);
    return 0;
}

int
jstate_drift(PGconn *conn, const char *jid, struct jstate_drift *d, struct bz_error *e)
{
    PGresult *res;
    const char *v[] = {jid};
    memset(d, 0, sizeof(*d));
    int rc = run(conn, sql_drift, 1, v, "比较日志与数据库", &res, e);
    if (rc < 0)
        return rc;
    d->known = flag(res, 0, "known");
    d->weights = flag(res, 0, "weights");
    d->settings = flag(res, 0, "settings");
    d->townships = flag(res, 0, "townships");
    d->counties = flag(res, 0, "counties");
    PQclear(res);
    return 0;
}

int
jstate_add_unreported(PGconn *conn, const char *what, struct bz_error *e)
{
    const char *v[] = {what};
    return run(conn, sql_add_unreported, 1, v, "记录数据库被直接修改", NULL, e);
}

int
jstate_take_unreported(PGconn *conn, char *out, size_t cap, struct bz_error *e)
{
    PGresult *res;
    out[0] = '\0';
    int rc = run(conn, sql_take_unreported, 0, NULL, "读取数据库被直接修改的记录", &res, e);
    if (rc == 0) {
        bz_strlcpy_utf8(out, text(res, 0, "what"), cap);
        PQclear(res);
    }
    return rc;
}

int
jstate_weights(PGconn *conn, char service[64], char completion[64], char coverage[64],
               struct bz_error *e)
{
    PGresult *res;
    int rc = run(conn, sql_weights, 0, NULL, "读取权重", &res, e);
    if (rc < 0)
        return rc;
    snprintf(service, 64, "%s", text(res, 0, "service"));
    snprintf(completion, 64, "%s", text(res, 0, "completion"));
    snprintf(coverage, 64, "%s", text(res, 0, "coverage"));
    PQclear(res);
    return 0;
}

int
jstate_set_weights(PGconn *conn, const char *service, const char *completion, const char *coverage,
                   struct bz_error *e)
{
    const char *v[] = {service, completion, coverage};
    PGresult *res = PQexecParams(conn, sql_set_weights, 3, NULL, v, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        /* 22P02 not a number, 23514 the CHECK (negative, NaN, Infinity) */
        if (state != NULL && (strcmp(state, "22P02") == 0 || strcmp(state, "23514") == 0))
            rc = bz_error_set(e, E_USAGE, "权重须为有限的非负数（可带小数）：%s %s %s", service,
                              completion, coverage);
        else
            rc = db_error(e, conn, res, "设置权重");
    }
    PQclear(res);
    return rc;
}

int
jstate_setting(PGconn *conn, const char *key, char *out, size_t cap, struct bz_error *e)
{
    PGresult *res;
    const char *v[] = {key};
    int rc = run(conn, sql_setting, 1, v, "读取数据库设置", &res, e);
    if (rc < 0)
        return rc;
    if (PQntuples(res) != 1)
        rc = bz_error_set(e, E_USAGE, "数据库中没有设置项 %s", key);
    else
        snprintf(out, cap, "%s", text(res, 0, "value"));
    PQclear(res);
    return rc;
}

int
jstate_settings(PGconn *conn, struct pgutil_rows *out, struct bz_error *e)
{
    static const char *const cols[JSTATE_SETTING_NCOLS] = {"key", "value"};
    return pgutil_query_rows(conn, sql_settings, 0, NULL, "读取数据库设置", cols,
                             JSTATE_SETTING_NCOLS, out, e);
}

int
jstate_set_setting(PGconn *conn, const char *key, const char *value, struct bz_error *e)
{
    if (strcmp(key, "timezone") == 0) {
        PGresult *res;
        const char *v[] = {value};
        int rc = run(conn, sql_zone_known, 1, v, "检查时区", &res, e);
        if (rc < 0)
            return rc;
        int known = flag(res, 0, "known");
        PQclear(res);
        if (!known)
            return bz_error_set(e, E_USAGE, "数据库不认识时区“%s”", value);
    }
    PGresult *res;
    const char *v[] = {key, value};
    int rc = run(conn, sql_set_setting, 2, v, "修改数据库设置", &res, e);
    if (rc < 0)
        return rc;
    if (strcmp(PQcmdTuples(res), "1") != 0)
        rc = bz_error_set(e, E_USAGE, "数据库中没有设置项 %s", key);
    PQclear(res);
    return rc;
}

int
jstate_registry(PGconn *conn, int counties, struct pgutil_rows *out, struct bz_error *e)
{
    static const char *const cols[JSTATE_REG_NCOLS] = {"code", "name", "active"};
    return pgutil_query_rows(conn, counties ? sql_counties : sql_townships, 0, NULL,
                             counties ? "读取县名录" : "读取乡镇名录", cols, JSTATE_REG_NCOLS, out,
                             e);
}

int
jstate_restore_registry(PGconn *conn, int counties, const char *const *codes,
                        const char *const *names, const char *const *actives, size_t n,
                        struct bz_error *e)
{
    struct dbuf lit[3];
    int rc = 0;
    for (int i = 0; i < 3; i++)
        dbuf_init(&lit[i], 64u << 20);
    if (pgutil_array_literal(&lit[0], codes, n) < 0 ||
        pgutil_array_literal(&lit[1], names, n) < 0 ||
        pgutil_array_literal(&lit[2], actives, n) < 0)
        rc = bz_error_set(e, E_NOMEM, "内存不足，无法恢复名录");
    if (rc == 0) {
        const char *v[] = {counties ? "t" : "f", lit[0].data, lit[1].data, lit[2].data};
        rc = run(conn, sql_restore_registry, 4, v, counties ? "恢复县名录" : "恢复乡镇名录", NULL,
                 e);
    }
    for (int i = 0; i < 3; i++)
        dbuf_free(&lit[i]);
    return rc;
}

int
jstate_files(PGconn *conn, long long *n, struct bz_error *e)
{
    PGresult *res;
    int rc = run(conn, sql_files, 0, NULL, "统计已收文件", &res, e);
    if (rc == 0) {
        *n = strtoll(text(res, 0, "n"), NULL, 10);
        PQclear(res);
    }
    return rc;
}

int
jstate_empty(PGconn *conn, int *empty, int *rebuilding, char jid[33], struct bz_error *e)
{
    PGresult *res;
    *empty = 1;
    *rebuilding = 0;
    jid[0] = '\0';
    int rc = run(conn, sql_tables, 0, NULL, "检查数据库是否为空", &res, e);
    if (rc < 0)
        return rc;
    int has_ref = flag(res, 0, "has_ref"), has_state = flag(res, 0, "has_state");
    PQclear(res);
    if (!has_ref)
        return 0;
    rc = run(conn, sql_content, 0, NULL, "检查数据库是否为空", &res, e);
    if (rc < 0)
        return rc;
    *empty = !flag(res, 0, "filled");
    PQclear(res);
    if (!has_state)
        return 0;
    struct jstate st;
    rc = jstate_read(conn, &st, e);
    if (rc == 0 && st.present && st.rebuilding) {
        *rebuilding = 1;
        memcpy(jid, st.journal_id, 33);
    }
    return rc;
}

int
jstate_stored_run(PGconn *conn, const char *period, const char *as_of, long long *id,
                  struct bz_error *e)
{
    PGresult *res;
    const char *v[] = {period, as_of};
    int rc = run(conn, sql_stored_run, 2, v, "读取已保存的排名", &res, e);
    if (rc == 0) {
        *id = strtoll(text(res, 0, "id"), NULL, 10);
        PQclear(res);
    }
    return rc;
}

int
jstate_fast_commits(PGconn *conn, struct bz_error *e)
{
    return pgutil_exec(conn, "SET synchronous_commit = off", "设置会话参数", e);
}

int
jstate_schema(PGconn *conn, int *schema, struct bz_error *e)
{
    PGresult *res;
    int rc = run(conn, sql_schema, 0, NULL, "检查数据库是否为空", &res, e);
    if (rc == 0) {
        *schema = flag(res, 0, "found");
        PQclear(res);
    }
    return rc;
}

int
jstate_roles(PGconn *conn, struct bz_error *e)
{
    return pgutil_exec(conn, sql_roles, "创建 bizenv 的数据库角色", e);
}

int
jstate_checksums(PGconn *conn, char out[16], struct bz_error *e)
{
    PGresult *res;
    int rc = run(conn, sql_checksums, 0, NULL, "读取数据校验和设置", &res, e);
    if (rc == 0) {
        snprintf(out, 16, "%s", text(res, 0, "on"));
        PQclear(res);
    }
    return rc;
}

int
jstate_amcheck(PGconn *conn, int install, int *installed, struct bz_error *e)
{
    if (!install)
        return *installed
                   ? pgutil_exec(conn, "DROP EXTENSION IF EXISTS amcheck", "删除 amcheck 扩展", e)
                   : 0;
    PGresult *res;
    *installed = 0;
    int rc = run(conn, sql_has_amcheck, 0, NULL, "检查 amcheck 扩展", &res, e);
    if (rc < 0)
        return rc;
    int found = flag(res, 0, "found");
    PQclear(res);
    if (found)
        return 0;
    rc = pgutil_exec(conn, "CREATE EXTENSION amcheck", "安装 amcheck 扩展", e);
    if (rc == 0)
        *installed = 1;
    return rc;
}
