#include "analyst.h"

#include "db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

/* At most this many analysts are listed: a county has a handful. */
#define LIST_MAX 10000

static const char PASSWORD_ALPHABET[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";

/* $1 name, $2 verifier, $3 expiry day or NULL, $4-$7 the limits. */
static const char sql_create[] =
    "SELECT array_to_string(meta.analyst_create($1, $2, $3::date, $4::int, $5::bigint,"
    " $6::bigint, $7::bigint), ',') AS skipped";
/* $1 name, $2 verifier, $3 set the expiry, $4 expiry day or NULL, $5-$8 the limits. */
static const char sql_password[] =
    "SELECT array_to_string(meta.analyst_password($1, $2, $3::boolean, $4::date, $5::int,"
    " $6::bigint, $7::bigint, $8::bigint), ',') AS skipped";
static const char sql_drop[] = "SELECT meta.analyst_drop($1) AS ended";
/* The valid-until day shown is the last day one may log in: VALID UNTIL is
 * the end of that day (meta.analyst_valid_until). */
static const char sql_list[] =
    "SELECT r.rolname AS name,"
    " CASE WHEN r.rolvaliduntil IS NULL OR r.rolvaliduntil = 'infinity' THEN ''"
    "  ELSE to_char(((r.rolvaliduntil AT TIME ZONE report.county_timezone())"
    "   - interval '1 microsecond')::date, 'YYYY-MM-DD') END AS valid_until,"
    " coalesce(r.rolvaliduntil <= now(), false) AS expired,"
    " r.rolconnlimit AS connection_limit,"
    " (SELECT count(*) FROM pg_catalog.pg_stat_activity a WHERE a.usename = r.rolname)::int"
    "  AS sessions,"
    " coalesce(pg_catalog.shobj_description(r.oid, 'pg_authid'), '') AS added"
    " FROM pg_catalog.pg_roles r WHERE meta.analyst_is(r.rolname) ORDER BY r.rolname";

void
analyst_limits_from(const struct settings *s, struct analyst_limits *l)
{
    l->connections = s->analyst_connection_limit;
    l->statement_timeout_ms = s->analyst_statement_timeout_ms;
    l->idle_in_transaction_ms = s->analyst_idle_in_transaction_ms;
    l->temp_file_kb = s->analyst_temp_file_limit / 1024;
}

/* Length of the UTF-8 character at p (1-4), or 0 when it is not one. */
static size_t
utf8_char(const unsigned char *p, unsigned *cp)
{
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    size_t n = (p[0] & 0xE0) == 0xC0   ? 2
               : (p[0] & 0xF0) == 0xE0 ? 3
               : (p[0] & 0xF8) == 0xF0 ? 4
                                       : 0;
    if (n == 0)
        return 0;
    unsigned v = p[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    static const unsigned least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < least[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

/* Characters a name may not hold although they are not ASCII: controls,
 * spaces and the invisible or reordering ones. */
static int
invisible(unsigned cp)
{
    return (cp >= 0x80 && cp <= 0xA0) || cp == 0xAD || (cp >= 0x2000 && cp <= 0x200F) ||
           (cp >= 0x2028 && cp <= 0x202F) || (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 ||
           cp == 0xFEFF || cp == 0x061C;
}

static int
bad_name(struct bz_error *e, const char *why)
{
    return bz_error_set(e, E_USAGE, "账号名不可用：%s", why);
}

int
analyst_check_name(const char *name, struct bz_error *e)
{
    static const char *const reserved[] = {"postgres",     "public",       "none", "current_user",
                                           "session_user", "current_role", "all",  "replication"};
    size_t len = strlen(name);
    if (len == 0 || len > 63)
        return bad_name(e, "长度须为 1–63 字节（一个汉字占 3 字节）");
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0';) {
        unsigned cp;
        size_t n = utf8_char(p, &cp);
        if (n == 0)
            return bad_name(e, "不是有效的 UTF-8 文本");
        int ok = n > 1 ? !invisible(cp)
                       : (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
                             (cp >= '0' && cp <= '9') || cp == '_' || cp == '-' || cp == '.';
        if (!ok)
            return bad_name(e, "只能含汉字、字母、数字、下划线、连字符和点");
        p += n;
    }
    if (strncasecmp(name, "pg_", 3) == 0 || strncasecmp(name, "bizenv", 6) == 0)
        return bad_name(e, "pg_ 和 bizenv 开头的名称是系统保留的");
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcasecmp(name, reserved[i]) == 0)
            return bad_name(e, "这是 PostgreSQL 保留的名称");
    return 0;
}

int
analyst_check_password(const char *password, struct bz_error *e)
{
    size_t len = strlen(password);
    if (len < ANALYST_PASSWORD_MIN || len > ANALYST_PASSWORD_MAX)
        return bz_error_set(e, E_USAGE, "密码长度须为 %d–%d 字节", ANALYST_PASSWORD_MIN,
                            ANALYST_PASSWORD_MAX);
    for (const unsigned char *p = (const unsigned char *)password; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f)
            return bz_error_set(e, E_USAGE, "密码不能含控制字符");
    return 0;
}

int
analyst_generate_password(char *buf, size_t cap, struct bz_error *e)
{
    const size_t alphabet = sizeof(PASSWORD_ALPHABET) - 1;
    /* bytes at or above the largest multiple of the alphabet are drawn
     * again, so that every letter is equally likely */
    const unsigned limit = 256 - 256 % alphabet;
    size_t n = 0;
    if (cap <= ANALYST_PASSWORD_LEN)
        return bz_error_set(e, E_INTERNAL, "密码缓冲区过小");
    while (n < ANALYST_PASSWORD_LEN) {
        unsigned char raw[32];
        ssize_t got = getrandom(raw, sizeof(raw), 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            bz_error_set(e, E_IO_READ, "无法读取随机数以生成密码");
            return bz_error_detail(e, "getrandom: %s", strerror(errno));
        }
        for (ssize_t i = 0; i < got && n < ANALYST_PASSWORD_LEN; i++)
            if (raw[i] < limit)
                buf[n++] = PASSWORD_ALPHABET[raw[i] % alphabet];
        explicit_bzero(raw, sizeof(raw));
    }
    buf[n] = '\0';
    return 0;
}

/* The SCRAM-SHA-256 verifier of password for name (caller PQfreemem-s it),
 * or NULL with e filled. */
static char *
verifier(PGconn *conn, const char *name, const char *password, struct bz_error *e)
{
    char *v = PQencryptPasswordConn(conn, password, name, "scram-sha-256");
    if (v == NULL) {
        bz_error_set(e, E_DB_QUERY, "无法计算账号“%s”的密码校验值", name);
        bz_error_detail(e, "%s", PQerrorMessage(conn));
    }
    return v;
}

/* A failed call of the functions: a known SQLSTATE becomes its code. */
static int
call_failed(PGconn *conn, const PGresult *res, const char *name, const char *what,
            struct bz_error *e)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    db_error(e, conn, res, what);
    if (state != NULL && strcmp(state, "42710") == 0) {
        bz_error_recode(e, E_ANALYST_EXISTS);
        snprintf(e->message, sizeof(e->message),
                 "数据库服务器上已有名为“%.200s”的账号（角色），不能再添加", name);
    } else if (state != NULL && strcmp(state, "P0002") == 0) {
        bz_error_recode(e, E_ANALYST_UNKNOWN);
        snprintf(e->message, sizeof(e->message),
                 "“%.200s”不是分析人员账号（bizenv analyst list 列出全部）", name);
    } else if (state != NULL && strcmp(state, "42501") == 0) {
        snprintf(e->message, sizeof(e->message),
                 "%s失败：连接数据库所用的角色无权管理账号（需要 CREATEROLE 或超级用户）", what);
    }
    return e->status;
}

/* Runs one of the add/password calls and copies its skipped settings. */
static int
run_call(PGconn *conn, const char *sql, int nparams, const char *const *params, const char *name,
         const char *what, char *skipped, size_t skipped_cap, struct bz_error *e)
{
    PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        rc = call_failed(conn, res, name, what, e);
    else
        snprintf(skipped, skipped_cap, "%s", PQgetvalue(res, 0, PQfnumber(res, "skipped")));
    PQclear(res);
    return rc;
}

/* Runs sql_create or sql_password for `name`: the parameters are the name,
 * the password's SCRAM verifier, `set_expiry` when not NULL (sql_password
 * only), the expiry, then the four limits. */
static int
account_call(PGconn *conn, const char *sql, const char *what, const char *name,
             const char *password, const char *set_expiry, const char *expires,
             const struct analyst_limits *lim, char *skipped, size_t skipped_cap,
             struct bz_error *e)
{
    const long long limits[4] = {lim->connections, lim->statement_timeout_ms,
                                 lim->idle_in_transaction_ms, lim->temp_file_kb};
    char text[4][24];
    const char *params[8];
    int n = 0;
    skipped[0] = '\0';
    char *v = verifier(conn, name, password, e);
    if (v == NULL)
        return e->status;
    params[n++] = name;
    params[n++] = v;
    if (set_expiry != NULL)
        params[n++] = set_expiry;
    params[n++] = expires;
    for (int i = 0; i < 4; i++) {
        snprintf(text[i], sizeof(text[i]), "%lld", limits[i]);
        params[n++] = text[i];
    }
    int rc = run_call(conn, sql, n, params, name, what, skipped, skipped_cap, e);
    PQfreemem(v);
    return rc;
}

int
analyst_add(PGconn *conn, const char *name, const char *password, const char *expires,
            const struct analyst_limits *lim, char *skipped, size_t skipped_cap, struct bz_error *e)
{
    return account_call(conn, sql_create, "添加分析人员账号", name, password, NULL, expires, lim,
                        skipped, skipped_cap, e);
}

int
analyst_passwd(PGconn *conn, const char *name, const char *password, int set_expiry,
               const char *expires, const struct analyst_limits *lim, char *skipped,
               size_t skipped_cap, struct bz_error *e)
{
    return account_call(conn, sql_password, "修改分析人员密码", name, password,
                        set_expiry ? "true" : "false", expires, lim, skipped, skipped_cap, e);
}

int
analyst_remove(PGconn *conn, const char *name, int *ended, struct bz_error *e)
{
    const char *params[] = {name};
    *ended = 0;
    PGresult *res = PQexecParams(conn, sql_drop, 1, NULL, params, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        rc = call_failed(conn, res, name, "删除分析人员账号", e);
    else
        *ended = atoi(PQgetvalue(res, 0, PQfnumber(res, "ended")));
    PQclear(res);
    return rc;
}

int
analyst_list(PGconn *conn, struct analyst_info **out, size_t *n, struct bz_error *e)
{
    *out = NULL;
    *n = 0;
    PGresult *res = PQexec(conn, sql_list);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        int rc = db_error(e, conn, res, "列出分析人员账号");
        PQclear(res);
        return rc;
    }
    int rows = PQntuples(res);
    if (rows > LIST_MAX)
        rows = LIST_MAX;
    struct analyst_info *list = calloc(rows > 0 ? (size_t)rows : 1, sizeof(*list));
    if (list == NULL) {
        PQclear(res);
        return bz_error_set(e, E_NOMEM, "内存不足");
    }
    int c_name = PQfnumber(res, "name"), c_until = PQfnumber(res, "valid_until"),
        c_expired = PQfnumber(res, "expired"), c_limit = PQfnumber(res, "connection_limit"),
        c_sessions = PQfnumber(res, "sessions"), c_added = PQfnumber(res, "added");
    for (int i = 0; i < rows; i++) {
        struct analyst_info *a = &list[i];
        bz_strlcpy_utf8(a->name, PQgetvalue(res, i, c_name), sizeof(a->name));
        bz_strlcpy_utf8(a->valid_until, PQgetvalue(res, i, c_until), sizeof(a->valid_until));
        a->expired = strcmp(PQgetvalue(res, i, c_expired), "t") == 0;
        a->connection_limit = atoi(PQgetvalue(res, i, c_limit));
        a->sessions = atoi(PQgetvalue(res, i, c_sessions));
        bz_strlcpy_utf8(a->added, PQgetvalue(res, i, c_added), sizeof(a->added));
    }
    PQclear(res);
    *out = list;
    *n = (size_t)rows;
    return 0;
}
