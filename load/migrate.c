#include "migrate.h"

#include "../common/embedded.h"
#include "../common/hash.h"
#include "db.h"
#include "pgutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Session advisory lock key for migrations: "bizenv" in ASCII. Advisory
 * locks are per database, so this serializes migrations of one database. */
#define MIGRATE_LOCK_SQL "SELECT pg_advisory_lock(108170854213238)"
#define MIGRATE_UNLOCK_SQL "SELECT pg_advisory_unlock(108170854213238)"

#define MIGRATE_VERSIONS 1000 /* NNN: 000..999 */

/* Checks before creating so a database already set up yields no NOTICEs. */
static const char sql_bootstrap[] =
    "DO $$ BEGIN"
    " IF to_regnamespace('meta') IS NULL THEN CREATE SCHEMA meta; END IF;"
    " IF to_regclass('meta.migration') IS NULL THEN"
    "  CREATE TABLE meta.migration ("
    "   version int PRIMARY KEY,"
    "   name text NOT NULL,"
    "   sha256 text NOT NULL,"
    "   applied_at timestamptz NOT NULL DEFAULT now());"
    " END IF;"
    " END $$";

static const char sql_has_table[] = "SELECT to_regclass('meta.migration') IS NOT NULL";

static const char sql_applied[] = "SELECT version, sha256 FROM meta.migration ORDER BY version";

/* Whether this role can read meta.migration, asked of the catalogs so a
 * role without rights on meta gets an answer instead of an error. */
static const char sql_can_read[] =
    "SELECT c.oid IS NOT NULL AS has_table,"
    " coalesce(has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT'),"
    " false) AS readable"
    " FROM (SELECT 1) AS one"
    " LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = 'meta'"
    " LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = 'migration'";

static const char sql_record[] =
    "INSERT INTO meta.migration (version, name, sha256) VALUES ($1::int, $2, $3)";

/* "sql/NNN_name.sql" -> version and name; 0 when the path is not a migration. */
static int
parse_path(const char *path, struct migrate_item *it)
{
    const char *base = path + 4;
    size_t len = strlen(base);
    if (len < 9 || strcmp(base + len - 4, ".sql") != 0)
        return 0;
    for (int i = 0; i < 3; i++)
        if (base[i] < '0' || base[i] > '9')
            return 0;
    if (base[3] != '_')
        return 0;
    it->version = (base[0] - '0') * 100 + (base[1] - '0') * 10 + (base[2] - '0');
    size_t nlen = len - 4 - 4;
    if (nlen >= sizeof(it->name))
        nlen = sizeof(it->name) - 1;
    memcpy(it->name, base + 4, nlen);
    it->name[nlen] = '\0';
    return 1;
}

int
migrate_known(struct migrate_item *out, size_t cap, size_t *n, struct bz_error *e)
{
    *n = 0;
    for (const struct embedded_file *f = embedded_files; f->path != NULL; f++) {
        if (strncmp(f->path, "sql/", 4) != 0)
            continue;
        struct migrate_item it;
        if (!parse_path(f->path, &it) || it.version == 0)
            return bz_error_set(e, BZ_ECONFLICT, "E_DB_MIGRATE",
                                "数据库升级脚本“%s”命名不符合 NNN_名称.sql", f->path);
        if (*n == cap)
            return bz_error_set(e, BZ_ECONFLICT, "E_DB_MIGRATE", "数据库升级脚本过多");
        hash_sha256_hex(f->data, f->len, it.sha256);
        /* embedded_files is sorted by path, so versions come in order */
        if (*n > 0 && out[*n - 1].version >= it.version)
            return bz_error_set(e, BZ_ECONFLICT, "E_DB_MIGRATE", "数据库升级脚本版本号 %03d 重复",
                                it.version);
        out[(*n)++] = it;
    }
    return 0;
}

static const struct migrate_item *
find_version(const struct migrate_item *known, size_t n, int version)
{
    for (size_t i = 0; i < n; i++)
        if (known[i].version == version)
            return &known[i];
    return NULL;
}

/*
 * Compares meta.migration with the known migrations. Fills applied[v] = 1
 * for each applied version. Refuses changed checksums (E_DB_MIGRATE) and
 * unknown versions (ahead_code: the database is newer than the binary).
 */
static int
check_applied(PGconn *conn, const struct migrate_item *known, size_t nknown,
              char applied[MIGRATE_VERSIONS], const char *ahead_code, struct bz_error *e)
{
    int rc = 0;
    PGresult *res = NULL;

    memset(applied, 0, MIGRATE_VERSIONS);
    res = PQexec(conn, sql_has_table);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = db_error(e, conn, res, "读取数据库结构版本");
        goto out;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
        goto out;
    PQclear(res);
    res = PQexec(conn, sql_applied);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = db_error(e, conn, res, "读取数据库结构版本");
        goto out;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        int version = atoi(PQgetvalue(res, i, 0));
        const char *sha = PQgetvalue(res, i, 1);
        const struct migrate_item *k = find_version(known, nknown, version);
        if (k == NULL) {
            rc = bz_error_set(
                e, BZ_ECONFLICT, ahead_code,
                "数据库结构版本 %03d 不为本程序所知，数据库可能由更新版本的 bizenv 建立；"
                "请安装与之相符的 bizenv 版本",
                version);
            goto out;
        }
        if (strcmp(k->sha256, sha) != 0) {
            rc = bz_error_set(e, BZ_ECONFLICT, "E_DB_MIGRATE",
                              "已执行的数据库升级脚本 %03d_%s 内容已被修改", version, k->name);
            bz_error_detail(e, "recorded sha256 %s, binary has %s", sha, k->sha256);
            goto out;
        }
        applied[version] = 1;
    }
out:
    PQclear(res);
    return rc;
}

int
migrate_pending(PGconn *conn, struct migrate_item *out, size_t cap, size_t *n, struct bz_error *e)
{
    struct migrate_item known[MIGRATE_MAX];
    size_t nknown;
    char applied[MIGRATE_VERSIONS];

    *n = 0;
    int rc = migrate_known(known, MIGRATE_MAX, &nknown, e);
    if (rc == 0)
        rc = check_applied(conn, known, nknown, applied, "E_DB_MIGRATE", e);
    for (size_t i = 0; rc == 0 && i < nknown; i++) {
        if (applied[known[i].version])
            continue;
        if (*n == cap)
            return bz_error_set(e, BZ_ECONFLICT, "E_DB_MIGRATE", "待执行的数据库升级脚本过多");
        out[(*n)++] = known[i];
    }
    return rc;
}

/* One migration in its own transaction: the file, then its record. */
static int
apply_one(PGconn *conn, const struct migrate_item *it, struct bz_error *e)
{
    char path[96], version[16], what[128];
    snprintf(path, sizeof(path), "sql/%03d_%s.sql", it->version, it->name);
    snprintf(version, sizeof(version), "%d", it->version);
    snprintf(what, sizeof(what), "执行数据库升级脚本 %03d_%s", it->version, it->name);

    const struct embedded_file *f = embedded_find(path);
    if (f == NULL) /* only when the name was truncated to fit migrate_item */
        return bz_error_set(e, BZ_ECONFLICT, "E_DB_MIGRATE", "数据库升级脚本名称过长：%s", path);

    int rc = pgutil_exec(conn, "BEGIN", what, e);
    if (rc < 0)
        return rc;
    /* a migration file holds several statements and no parameters: PQexec
     * runs them all inside the transaction just opened */
    rc = pgutil_exec(conn, (const char *)f->data, what, e);
    if (rc == 0) {
        const char *params[3] = {version, it->name, it->sha256};
        PGresult *res = PQexecParams(conn, sql_record, 3, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = db_error(e, conn, res, what);
        PQclear(res);
    }
    if (rc == 0)
        rc = pgutil_exec(conn, "COMMIT", what, e);
    if (rc < 0) {
        pgutil_rollback(conn);
        /* keep the server's message (it names the failing statement) */
        if (strcmp(e->code, "E_DB_QUERY") == 0) {
            bz_strlcpy_utf8(e->code, "E_DB_MIGRATE", sizeof(e->code));
        }
    }
    return rc;
}

int
migrate_apply(PGconn *conn, int *applied_count, struct bz_error *e)
{
    struct migrate_item pending[MIGRATE_MAX];
    size_t npending = 0;
    int locked = 0;

    *applied_count = 0;
    int rc = pgutil_exec(conn, MIGRATE_LOCK_SQL, "获取数据库升级锁", e);
    if (rc < 0)
        goto out;
    locked = 1;
    /* under the lock, so two first runs cannot race on creating meta */
    rc = pgutil_exec(conn, sql_bootstrap, "建立数据库升级记录表", e);
    if (rc < 0)
        goto out;
    rc = migrate_pending(conn, pending, MIGRATE_MAX, &npending, e);
    for (size_t i = 0; rc == 0 && i < npending; i++) {
        rc = apply_one(conn, &pending[i], e);
        if (rc == 0)
            (*applied_count)++;
    }
out:
    if (locked) {
        struct bz_error ignored;
        bz_error_clear(&ignored);
        pgutil_exec(conn, MIGRATE_UNLOCK_SQL, "释放数据库升级锁", &ignored);
    }
    return rc;
}

/* The schema is behind the binary: read-only commands do not migrate. */
static int
schema_behind(struct bz_error *e, const char *why)
{
    bz_error_set(e, BZ_ECONFLICT, "E_DB_SCHEMA",
                 "数据库结构版本早于本程序（%s）；只读命令不升级数据库，请由数据库属主运行 "
                 "bizenv migrate，或使用与数据库相符的 bizenv 版本",
                 why);
    return e->status;
}

int
migrate_check(PGconn *conn, struct bz_error *e)
{
    struct migrate_item known[MIGRATE_MAX];
    size_t nknown;
    char applied[MIGRATE_VERSIONS], why[128];

    int rc = migrate_known(known, MIGRATE_MAX, &nknown, e);
    if (rc < 0)
        return rc;
    PGresult *res = PQexec(conn, sql_can_read);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = db_error(e, conn, res, "读取数据库结构版本");
        PQclear(res);
        return rc;
    }
    int has_table = strcmp(PQgetvalue(res, 0, PQfnumber(res, "has_table")), "t") == 0;
    int readable = strcmp(PQgetvalue(res, 0, PQfnumber(res, "readable")), "t") == 0;
    PQclear(res);
    if (!has_table)
        return schema_behind(e, "数据库尚未建立任何结构");
    if (!readable) {
        bz_error_set(e, BZ_ECONFLICT, "E_DB_SCHEMA",
                     "无法读取数据库结构版本（meta.migration）：数据库早于本程序，或当前用户"
                     "（%s）无权读取；请由数据库属主运行 bizenv migrate，或以 bizenv_analyst "
                     "的成员连接",
                     PQuser(conn));
        return e->status;
    }
    rc = check_applied(conn, known, nknown, applied, "E_DB_SCHEMA", e);
    for (size_t i = 0; rc == 0 && i < nknown; i++) {
        if (applied[known[i].version])
            continue;
        snprintf(why, sizeof(why), "缺少升级 %03d_%s", known[i].version, known[i].name);
        return schema_behind(e, why);
    }
    return rc;
}
