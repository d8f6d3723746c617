#include "migrate.h"
#include "migrate_test.h"

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

#define MIGRATIONS_DIR "sql/migrations/"

/*
 * The definition files, in the order they are applied. A file may use what
 * the ones before it define: SQL function bodies, parameter defaults and
 * views are checked against the catalog when they are created. Every other
 * embedded sql/ file must be listed (definitions() checks).
 */
static const char *const definition_order[] = {
    "sql/report/periods.sql", /* time zone, as-of cut-off, periods */
    "sql/report/figures.sql", /* every figure, the composite, the ranks */
    "sql/report/ranking.sql", /* report.ranking and the two levels */
    "sql/report/stored.sql",  /* stored rankings, read back */
    "sql/report/refresh.sql", /* the nightly's incremental refresh */
    "sql/report/summary.sql", /* the county summary */
    "sql/report/change.sql",  /* change since the previous period, trend */
    "sql/report/issues.sql",  /* a township's open problems and warnings */
    "sql/report/views.sql",   /* the analysts' views and grants */
    /* the data dictionary's rules, examples and function result columns */
    "sql/report/dictionary.sql",
    "sql/export/exports.sql", /* export records */
    "sql/load/merge.sql",     /* the batch merge */
    "sql/load/registry.sql",  /* township and county registries */
    "sql/load/rollup.sql",    /* a prefecture's roll-ups */
    "sql/load/workbook.sql",  /* what the monthly workbooks are pre-filled with */
    "sql/facts/walk_summary.sql",
    "sql/meta/runs.sql",
    "sql/meta/analysts.sql",
    "sql/meta/journal.sql",
};
#define NDEFINITIONS (sizeof(definition_order) / sizeof(definition_order[0]))

/* The previous release (v0.1.0, commit b44802b): its migrations, as its
 * meta.migration records them. sql/migrations/087_baseline.sql stands for
 * exactly these. */
static const struct migrate_item previous_release[] = {
    {1, "schema", "86ae6e0c055101c276fda400b6353481df5f5e2667afccff6bf73f6003838395"},
    {2, "load", "25d64afd4cc6a3d069122aceae7ef3aaf652eec808d5645c3520c193bdd0808e"},
    {20, "report", "6a3601b8a9ffcfe6bc10f28aaf85eafe3112f47a95e26104d6c62d5c1a5911a5"},
    {21, "views", "ce378b81687908b38fb15218fd9f256f059a5dd5d0adaa4edde686ccbfc3dd1b"},
    {40, "runs", "0e1469ee79452f2fc718b16321a721345c85a6141e1e1393e5d8f7719970ae08"},
    {60, "export", "93561d346f27d8b257e6adb28733e8ca167a8dd144b2923a6889001c77be7afc"},
    {61, "export_comments", "624d969e84d0ca434a15ef0c6c28cc1242f90ae671cea15e3327d4ffb72b0c0f"},
    {80, "merge_batch", "a3e46262978e913a45ce1d5800f4137a21b8e0516c1e3a2bbf387c65dd034de7"},
    {81, "merge_batch_sets", "44f22a664c49a39c0dc275a3051162da0b501c5b14bd70777f4b4f88fed66d6b"},
    {82, "refresh_if_changed", "beeb3106b482021f610028fa026408dbeb06c8283398b2c18fdccdef20e0fb9d"},
    {83, "incremental_ranking", "3612b6d4da42a6ef186e3f7d98baa01187bc1497ea02b0a7f70cb63a7bcd2104"},
    {84, "direct_copy", "5ae7fb6c653adeb83516d58745576057895949e94752edf73917c69fe290868d"},
    {85, "walk_summary", "1ff1d963f5e6dbb194845151b1ec0abdb42a173bed52021300b5112b1698e328"},
    {86, "ranking_figures", "edad6fb48f6a24c4c91f3d616f33785fb7c5912198c09023b713b29545cfb7ef"},
};
#define NPREVIOUS (sizeof(previous_release) / sizeof(previous_release[0]))

/* The runner's own records, made before any migration. Checks before
 * creating so a database already set up yields no NOTICEs. */
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
    " IF to_regclass('meta.definition_file') IS NULL THEN"
    "  CREATE TABLE meta.definition_file ("
    "   path text PRIMARY KEY,"
    "   sha256 text NOT NULL,"
    "   applied_at timestamptz NOT NULL DEFAULT now());"
    "  COMMENT ON TABLE meta.definition_file IS 'the SQL files defining every function, view and"
    " trigger, as last applied (load/migrate.c): all are applied again when these differ from the"
    " binary''s';"
    " END IF;"
    " END $$";

/* Everything recorded, in one query: what a start against an unchanged
 * database costs. It fails (undefined table) on a database not yet set up
 * by this runner; the slow path then creates the tables. */
static const char sql_recorded[] = "SELECT 'migration', version::text, sha256 FROM meta.migration"
                                   " UNION ALL SELECT 'definition', path, sha256"
                                   " FROM meta.definition_file";

/* The same for migrate_plan, which may create nothing. */
static const char sql_has_tables[] = "SELECT to_regclass('meta.migration') IS NOT NULL,"
                                     " to_regclass('meta.definition_file') IS NOT NULL";
static const char sql_recorded_migrations[] =
    "SELECT 'migration', version::text, sha256 FROM meta.migration";

/* For migrate_check: which of the runner's tables exist and whether this
 * role may read them, asked of the catalogs so that a role without rights
 * on meta gets an answer instead of an error. */
static const char sql_can_read[] =
    "SELECT m.oid IS NOT NULL, d.oid IS NOT NULL,"
    " coalesce(has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(m.oid, 'SELECT')"
    " AND (d.oid IS NULL OR has_table_privilege(d.oid, 'SELECT')), false)"
    " FROM (SELECT 1) AS one"
    " LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = 'meta'"
    " LEFT JOIN pg_catalog.pg_class m ON m.relnamespace = n.oid AND m.relname = 'migration'"
    " LEFT JOIN pg_catalog.pg_class d ON d.relnamespace = n.oid AND d.relname = 'definition_file'";

static const char sql_record_migration[] =
    "INSERT INTO meta.migration (version, name, sha256) VALUES ($1::int, $2, $3)";
static const char sql_record_definition[] =
    "INSERT INTO meta.definition_file (path, sha256) VALUES ($1, $2)";

/* The previous release's records become the baseline's, applied when the
 * database was first set up. One statement: all or nothing. */
static const char sql_rebase[] =
    "WITH old AS (DELETE FROM meta.migration WHERE version < $1::int RETURNING applied_at)"
    " INSERT INTO meta.migration (version, name, sha256, applied_at)"
    " SELECT $1::int, $2, $3, min(old.applied_at) FROM old";

/*
 * Drops every function (routine), view and trigger bizenv defined: those in
 * its schemas that belong to no extension, and the triggers on its tables
 * that run its functions; then forgets the definition files' checksums.
 * Refuses (SQLSTATE 2BP01) when anything else depends on one of them: a
 * column default, a constraint, an index, someone's view or function
 * elsewhere. A view's rule counts as the view; CASCADE then only reaches
 * the set itself.
 */
static const char sql_drop_definitions[] =
    "DO $drop$\n"
    "DECLARE\n"
    "    ours CONSTANT text[] := ARRAY['ref', 'raw', 'staging', 'facts', 'report', 'load', "
    "'meta'];\n"
    "    routines oid[];\n"
    "    views oid[];\n"
    "    triggers oid[];\n"
    "    bad text;\n"
    "BEGIN\n"
    "    routines := ARRAY(\n"
    "        SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace\n"
    "         WHERE n.nspname = ANY (ours)\n"
    "           AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_proc'::regclass\n"
    "                              AND x.objid = p.oid AND x.deptype = 'e'));\n"
    "    views := ARRAY(\n"
    "        SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace\n"
    "         WHERE n.nspname = ANY (ours) AND c.relkind = 'v'\n"
    "           AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_class'::regclass\n"
    "                              AND x.objid = c.oid AND x.deptype = 'e'));\n"
    "    triggers := ARRAY(\n"
    "        SELECT t.oid FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid\n"
    "          JOIN pg_namespace n ON n.oid = c.relnamespace\n"
    "         WHERE n.nspname = ANY (ours) AND NOT t.tgisinternal AND t.tgfoid = ANY (routines));\n"
    "    WITH mine (classid, objid) AS (\n"
    "        SELECT 'pg_proc'::regclass::oid, unnest(routines)\n"
    "        UNION ALL SELECT 'pg_class'::regclass::oid, unnest(views)\n"
    "        UNION ALL SELECT 'pg_type'::regclass::oid, c.reltype FROM pg_class c\n"
    "                   WHERE c.oid = ANY (views)\n"
    "        UNION ALL SELECT 'pg_trigger'::regclass::oid, unnest(triggers))\n"
    "    SELECT string_agg(pg_describe_object(d.classid, d.objid, d.objsubid) || ' -> '\n"
    "                      || pg_describe_object(d.refclassid, d.refobjid, 0), '; ')\n"
    "      INTO bad\n"
    "      FROM pg_depend d\n"
    "      LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid\n"
    "     WHERE (d.refclassid, d.refobjid) IN (SELECT m.classid, m.objid FROM mine m)\n"
    "       AND d.deptype IN ('n', 'a')\n"
    "       AND (CASE WHEN r.oid IS NULL THEN d.classid ELSE 'pg_class'::regclass::oid END,\n"
    "            coalesce(r.ev_class, d.objid)) NOT IN (SELECT m.classid, m.objid FROM mine m);\n"
    "    IF bad IS NOT NULL THEN\n"
    "        RAISE EXCEPTION 'other objects depend on the functions or views bizenv re-creates'\n"
    "            USING ERRCODE = 'dependent_objects_still_exist', DETAIL = bad;\n"
    "    END IF;\n"
    "    IF cardinality(views) > 0 THEN\n"
    "        EXECUTE 'DROP VIEW IF EXISTS '\n"
    "             || (SELECT string_agg(v::regclass::text, ', ') FROM unnest(views) v)\n"
    "             || ' CASCADE';\n"
    "    END IF;\n"
    "    IF cardinality(routines) > 0 THEN\n"
    "        EXECUTE 'DROP ROUTINE IF EXISTS '\n"
    "             || (SELECT string_agg(p::regprocedure::text, ', ') FROM unnest(routines) p)\n"
    "             || ' CASCADE';\n"
    "    END IF;\n"
    "END\n"
    "$drop$;\n"
    "DELETE FROM meta.definition_file";

/* What this binary carries. */
struct binary {
    struct migrate_item mig[MIGRATE_MAX];
    size_t nmig;
    struct migrate_item def[MIGRATE_DEFINITIONS_MAX];
    size_t ndef;
};

/* "sql/migrations/NNN_name.sql" -> version and name; 0 when misnamed. */
static int
parse_path(const char *path, struct migrate_item *it)
{
    const char *base = path + strlen(MIGRATIONS_DIR);
    size_t len = strlen(base);
    if (len < 9 || strcmp(base + len - 4, ".sql") != 0)
        return 0;
    for (int i = 0; i < 3; i++)
        if (base[i] < '0' || base[i] > '9')
            return 0;
    if (base[3] != '_' || strchr(base, '/') != NULL)
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
        if (strncmp(f->path, MIGRATIONS_DIR, strlen(MIGRATIONS_DIR)) != 0)
            continue;
        struct migrate_item it;
        if (!parse_path(f->path, &it) || it.version == 0)
            return bz_error_set(e, E_DB_MIGRATE, "数据库升级脚本“%s”命名不符合 NNN_名称.sql",
                                f->path);
        if (*n == cap)
            return bz_error_set(e, E_DB_MIGRATE, "数据库升级脚本过多");
        hash_sha256_hex(f->data, f->len, it.sha256);
        /* embedded_files is sorted by path, so versions come in order */
        if (*n > 0 && out[*n - 1].version >= it.version)
            return bz_error_set(e, E_DB_MIGRATE, "数据库升级脚本版本号 %03d 重复", it.version);
        out[(*n)++] = it;
    }
    return 0;
}

static int
listed(const char *path)
{
    for (size_t i = 0; i < NDEFINITIONS; i++)
        if (strcmp(definition_order[i], path) == 0)
            return 1;
    return 0;
}

/*
 * The definition files in the order they are applied. Returns 0, or
 * E_DB_MIGRATE when an embedded sql/ file outside sql/migrations/ is not
 * in the order, or a file in it is not embedded.
 */
static int
definitions(struct migrate_item *out, size_t cap, size_t *n, struct bz_error *e)
{
    *n = 0;
    for (const struct embedded_file *f = embedded_files; f->path != NULL; f++)
        if (strncmp(f->path, "sql/", 4) == 0 &&
            strncmp(f->path, MIGRATIONS_DIR, strlen(MIGRATIONS_DIR)) != 0 && !listed(f->path))
            return bz_error_set(e, E_DB_MIGRATE,
                                "数据库定义文件“%s”未列入执行顺序（load/migrate.c）", f->path);
    for (size_t i = 0; i < NDEFINITIONS; i++) {
        const struct embedded_file *f = embedded_find(definition_order[i]);
        if (f == NULL)
            return bz_error_set(e, E_DB_MIGRATE, "缺少数据库定义文件“%s”", definition_order[i]);
        if (*n == cap || strlen(f->path) >= sizeof(out->name))
            return bz_error_set(e, E_DB_MIGRATE, "数据库定义文件过多或路径过长");
        struct migrate_item *it = &out[(*n)++];
        it->version = (int)i + 1;
        bz_strlcpy_utf8(it->name, f->path, sizeof(it->name));
        hash_sha256_hex(f->data, f->len, it->sha256);
    }
    return 0;
}

const struct migrate_item *
migrate_previous_release(size_t *n)
{
    *n = NPREVIOUS;
    return previous_release;
}

static int
load_binary(struct binary *bin, struct bz_error *e)
{
    int rc = migrate_known(bin->mig, MIGRATE_MAX, &bin->nmig, e);
    if (rc == 0)
        rc = definitions(bin->def, MIGRATE_DEFINITIONS_MAX, &bin->ndef, e);
    if (rc == 0 && bin->nmig == 0)
        rc = bz_error_set(e, E_DB_MIGRATE, "本程序不含数据库升级脚本");
    return rc;
}

static const struct migrate_item *
find_version(const struct migrate_item *items, size_t n, int version)
{
    for (size_t i = 0; i < n; i++)
        if (items[i].version == version)
            return &items[i];
    return NULL;
}

/*
 * Compares the recorded migrations with the binary's and the previous
 * release's. Fills plan->rebase and plan->pending; refuses a changed
 * checksum, a version this binary does not know (ahead_code: the database
 * is newer than the binary), and records below the baseline that are not
 * exactly the previous release's.
 */
static int
plan_migrations(const PGresult *rows, const struct binary *bin, struct migrate_plan *plan,
                enum bz_code ahead_code, struct bz_error *e)
{
    const struct migrate_item *baseline = &bin->mig[0];
    char applied[MIGRATE_MAX];
    size_t nold = 0, nnew = 0;
    int stray = 0; /* a record below the baseline that is not the previous release's */

    memset(applied, 0, sizeof(applied));
    for (int i = 0; i < PQntuples(rows); i++) {
        if (strcmp(PQgetvalue(rows, i, 0), "migration") != 0)
            continue;
        int version = atoi(PQgetvalue(rows, i, 1));
        const char *sha = PQgetvalue(rows, i, 2);
        if (version < baseline->version) {
            const struct migrate_item *p = find_version(previous_release, NPREVIOUS, version);
            if (p == NULL || strcmp(p->sha256, sha) != 0)
                stray = version;
            nold++;
            continue;
        }
        const struct migrate_item *k = find_version(bin->mig, bin->nmig, version);
        if (k == NULL)
            return bz_error_set(e, ahead_code,
                                "数据库结构版本 %03d 不为本程序所知，数据库可能由更新版本的 bizenv "
                                "建立；请安装与之相符的 bizenv 版本",
                                version);
        if (strcmp(k->sha256, sha) != 0) {
            bz_error_set(e, E_DB_MIGRATE, "已执行的数据库升级脚本 %03d_%s 内容已被修改", version,
                         k->name);
            return bz_error_detail(e, "recorded sha256 %s, binary has %s", sha, k->sha256);
        }
        applied[k - bin->mig] = 1;
        nnew++;
    }
    if (nold > 0) {
        if (stray != 0 || nold != NPREVIOUS || nnew > 0)
            return bz_error_set(
                e, E_DB_MIGRATE,
                "数据库升级记录（%03d 等）早于基线 %03d_%s，且不是上一版本（v0.1.0）"
                "的完整记录：请先用 v0.1.0 升级",
                stray != 0 ? stray : (int)previous_release[0].version, baseline->version,
                baseline->name);
        plan->rebase = 1;
        plan->baseline = *baseline;
        applied[0] = 1;
    }
    for (size_t i = 0; i < bin->nmig; i++) {
        if (applied[i])
            continue;
        plan->pending[plan->npending++] = bin->mig[i];
    }
    return 0;
}

/* The definition files are up to date when the recorded set is exactly the
 * binary's, path and checksum. When they are not and why is given, it names
 * the first difference (for migrate_check's message). */
static int
definitions_current(const PGresult *rows, const struct binary *bin, char *why, size_t whylen)
{
    char seen[MIGRATE_DEFINITIONS_MAX];
    size_t n = 0;
    memset(seen, 0, sizeof(seen));
    for (int i = 0; i < PQntuples(rows); i++) {
        if (strcmp(PQgetvalue(rows, i, 0), "definition") != 0)
            continue;
        const char *path = PQgetvalue(rows, i, 1);
        const char *sha = PQgetvalue(rows, i, 2);
        size_t k = 0;
        while (k < bin->ndef && strcmp(bin->def[k].name, path) != 0)
            k++;
        if (k == bin->ndef || strcmp(bin->def[k].sha256, sha) != 0) {
            if (why != NULL)
                snprintf(why, whylen,
                         k == bin->ndef ? "数据库定义文件 %s 不为本程序所知"
                                        : "数据库定义文件 %s 的内容不同",
                         path);
            return 0;
        }
        seen[k] = 1;
        n++;
    }
    for (size_t k = 0; n != bin->ndef && k < bin->ndef; k++)
        if (!seen[k]) {
            if (why != NULL)
                snprintf(why, whylen, "数据库定义文件 %s 未执行", bin->def[k].name);
            return 0;
        }
    return 1;
}

static int
plan_from(const PGresult *rows, const struct binary *bin, struct migrate_plan *plan,
          enum bz_code ahead_code, struct bz_error *e)
{
    memset(plan, 0, sizeof(*plan));
    int rc = plan_migrations(rows, bin, plan, ahead_code, e);
    if (rc == 0 && (plan->rebase || plan->npending > 0 || !definitions_current(rows, bin, NULL, 0)))
        plan->definitions = (int)bin->ndef;
    return rc;
}

static int
nothing_to_do(const struct migrate_plan *plan)
{
    return !plan->rebase && plan->npending == 0 && plan->definitions == 0;
}

int
migrate_plan(PGconn *conn, struct migrate_plan *plan, struct bz_error *e)
{
    struct binary bin;
    PGresult *res = NULL;

    memset(plan, 0, sizeof(*plan));
    int rc = load_binary(&bin, e);
    if (rc < 0)
        return rc;
    res = PQexec(conn, sql_has_tables);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = db_error(e, conn, res, "读取数据库结构版本");
        goto out;
    }
    int has_migration = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    int has_definition = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
    PQclear(res);
    res = NULL;
    if (has_migration) {
        res = PQexec(conn, has_definition ? sql_recorded : sql_recorded_migrations);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            rc = db_error(e, conn, res, "读取数据库结构版本");
            goto out;
        }
        rc = plan_from(res, &bin, plan, E_DB_MIGRATE, e);
    } else {
        for (size_t i = 0; i < bin.nmig; i++)
            plan->pending[plan->npending++] = bin.mig[i];
        plan->definitions = (int)bin.ndef;
    }
out:
    PQclear(res);
    return rc;
}

/*
 * Runs SQL text (several statements, no parameters) inside the caller's
 * transaction. A failure of the SQL itself is E_DB_MIGRATE with the
 * server's message (it names the failing statement) in the detail.
 */
static int
run(PGconn *conn, const char *sql, const char *what, struct bz_error *e)
{
    int rc = pgutil_exec(conn, sql, what, e);
    if (rc < 0 && strcmp(e->code, "E_DB_QUERY") == 0)
        rc = bz_error_recode(e, E_DB_MIGRATE);
    return rc;
}

/* The drop of every definition: a refusal when other objects depend on them. */
static int
drop_definitions(PGconn *conn, struct bz_error *e)
{
    PGresult *res = PQexec(conn, sql_drop_definitions);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        const char *more = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
        if (state != NULL && strcmp(state, "2BP01") == 0) {
            rc = bz_error_set(e, E_DB_MIGRATE,
                              "无法重建数据库函数与视图：有其他对象依赖它们（未作改动）");
            bz_error_detail(e, "%s", more != NULL ? more : PQresultErrorMessage(res));
        } else {
            rc = db_error(e, conn, res, "删除旧的数据库函数与视图");
            if (strcmp(e->code, "E_DB_QUERY") == 0)
                rc = bz_error_recode(e, E_DB_MIGRATE);
        }
    }
    PQclear(res);
    return rc;
}

static int
exec_params(PGconn *conn, const char *sql, int n, const char *const *params, const char *what,
            struct bz_error *e)
{
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = db_error(e, conn, res, what);
    PQclear(res);
    return rc;
}

static int
rebase(PGconn *conn, const struct migrate_item *baseline, struct bz_error *e)
{
    char version[16];
    snprintf(version, sizeof(version), "%d", baseline->version);
    const char *params[3] = {version, baseline->name, baseline->sha256};
    return exec_params(conn, sql_rebase, 3, params, "将上一版本的数据库升级记录记为基线", e);
}

/* One migration, inside the upgrade's transaction: the file, its record. */
static int
apply_migration(PGconn *conn, const struct migrate_item *it, struct bz_error *e)
{
    char path[96], version[16], what[128];
    snprintf(path, sizeof(path), MIGRATIONS_DIR "%03d_%s.sql", it->version, it->name);
    snprintf(version, sizeof(version), "%d", it->version);
    snprintf(what, sizeof(what), "执行数据库升级脚本 %03d_%s", it->version, it->name);

    const struct embedded_file *f = embedded_find(path);
    if (f == NULL) /* only when the name was truncated to fit migrate_item */
        return bz_error_set(e, E_DB_MIGRATE, "数据库升级脚本名称过长：%s", path);
    int rc = run(conn, (const char *)f->data, what, e);
    if (rc == 0) {
        const char *params[3] = {version, it->name, it->sha256};
        rc = exec_params(conn, sql_record_migration, 3, params, what, e);
    }
    return rc;
}

/* Every definition file, in order, inside the upgrade's transaction (the
 * old definitions already dropped): the files run, their checksums
 * recorded. */
static int
apply_definitions(PGconn *conn, const struct binary *bin, struct bz_error *e)
{
    char what[128];
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < bin->ndef; i++) {
        const struct embedded_file *f = embedded_find(bin->def[i].name);
        snprintf(what, sizeof(what), "执行数据库定义文件 %s", bin->def[i].name);
        rc = run(conn, (const char *)f->data, what, e);
        if (rc == 0) {
            const char *params[2] = {bin->def[i].name, bin->def[i].sha256};
            rc = exec_params(conn, sql_record_definition, 2, params, what, e);
        }
    }
    return rc;
}

/* The unlocked look: 1 when the database needs nothing (or the records
 * refuse the binary: rc < 0), 0 when the locked path must run. */
static int
up_to_date(PGconn *conn, const struct binary *bin, int *rc, struct bz_error *e)
{
    struct migrate_plan plan;
    PGresult *res = PQexec(conn, sql_recorded);
    int done = 0;
    *rc = 0;
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        *rc = plan_from(res, bin, &plan, E_DB_MIGRATE, e);
        done = *rc < 0 || nothing_to_do(&plan);
    } else {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        /* undefined table or schema: not set up by this runner yet */
        if (state == NULL || (strcmp(state, "42P01") != 0 && strcmp(state, "3F000") != 0)) {
            *rc = db_error(e, conn, res, "读取数据库结构版本");
            done = 1;
        }
    }
    PQclear(res);
    return done;
}

/*
 * Ends the sessions of analysts (direct members of bizenv_analyst) in this
 * database before a migration or the definitions take their locks: an
 * analyst's open transaction on a report view would hold the drop until
 * lock_timeout and fail the night. A role that may not end them (on a
 * configured server) leaves them, and waits as before.
 */
static const char sql_end_analysts[] =
    "DO $$ DECLARE a record; BEGIN"
    " FOR a IN SELECT s.pid FROM pg_catalog.pg_stat_activity s"
    "  JOIN pg_catalog.pg_roles r ON r.oid = s.usesysid AND NOT r.rolsuper"
    "  WHERE s.datname = current_database() AND s.pid <> pg_backend_pid()"
    "   AND EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m"
    "    JOIN pg_catalog.pg_roles g ON g.oid = m.roleid AND g.rolname = 'bizenv_analyst'"
    "    WHERE m.member = s.usesysid) LOOP"
    "  BEGIN PERFORM pg_terminate_backend(a.pid);"
    "  EXCEPTION WHEN insufficient_privilege THEN NULL; END;"
    " END LOOP; END $$";

/*
 * The whole upgrade in one transaction: the runner's tables, the rebase,
 * the definitions dropped, every pending migration, every definition file
 * run again. A failure anywhere rolls all of it back, so analysts never
 * meet a database without its report views and functions, and the next
 * run starts from the same state.
 */
static int
apply_locked(PGconn *conn, const struct binary *bin, struct migrate_plan *done, struct bz_error *e)
{
    struct migrate_plan plan;
    PGresult *res = NULL;

    int rc = pgutil_exec(conn, "BEGIN", "开始数据库升级", e);
    if (rc < 0)
        return rc;
    /* under the lock, so two first runs cannot race on creating meta */
    rc = pgutil_exec(conn, sql_bootstrap, "建立数据库升级记录表", e);
    if (rc == 0) {
        res = PQexec(conn, sql_recorded);
        if (PQresultStatus(res) != PGRES_TUPLES_OK)
            rc = db_error(e, conn, res, "读取数据库结构版本");
        else
            rc = plan_from(res, bin, &plan, E_DB_MIGRATE, e);
        PQclear(res);
    }
    if (rc == 0 && plan.rebase)
        rc = rebase(conn, &plan.baseline, e);
    if (rc == 0 && (plan.npending > 0 || plan.definitions > 0))
        rc = pgutil_exec(conn, sql_end_analysts, "结束分析人员的会话", e);
    if (rc == 0 && plan.definitions > 0) /* a migration runs with no definitions in place */
        rc = drop_definitions(conn, e);
    for (size_t i = 0; rc == 0 && i < plan.npending; i++)
        rc = apply_migration(conn, &plan.pending[i], e);
    if (rc == 0 && plan.definitions > 0)
        rc = apply_definitions(conn, bin, e);
    if (rc == 0)
        rc = pgutil_exec(conn, "COMMIT", "提交数据库升级", e);
    if (rc < 0) {
        pgutil_rollback(conn);
        return rc;
    }
    *done = plan;
    return 0;
}

int
migrate_apply(PGconn *conn, struct migrate_plan *done, struct bz_error *e)
{
    struct binary bin;
    int rc;

    memset(done, 0, sizeof(*done));
    rc = load_binary(&bin, e);
    if (rc < 0 || up_to_date(conn, &bin, &rc, e))
        return rc;
    rc = pgutil_exec(conn, MIGRATE_LOCK_SQL, "获取数据库升级锁", e);
    if (rc < 0)
        return rc;
    rc = apply_locked(conn, &bin, done, e);
    struct bz_error ignored;
    bz_error_clear(&ignored);
    pgutil_exec(conn, MIGRATE_UNLOCK_SQL, "释放数据库升级锁", &ignored);
    return rc;
}

/* The schema is behind the binary: read-only commands do not migrate. */
static int
schema_behind(struct bz_error *e, const char *why)
{
    bz_error_set(e, E_DB_SCHEMA,
                 "数据库结构版本早于本程序（%s）；只读命令不升级数据库，请由数据库属主运行 "
                 "bizenv migrate，或使用与数据库相符的 bizenv 版本",
                 why);
    return e->status;
}

int
migrate_check(PGconn *conn, struct bz_error *e)
{
    struct binary bin;
    struct migrate_plan plan;
    char why[160];

    int rc = load_binary(&bin, e);
    if (rc < 0)
        return rc;
    PGresult *res = PQexec(conn, sql_can_read);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = db_error(e, conn, res, "读取数据库结构版本");
        PQclear(res);
        return rc;
    }
    int has_migration = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    int has_definition = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
    int readable = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
    PQclear(res);
    if (!has_migration)
        return schema_behind(e, "数据库尚未建立任何结构");
    if (!readable) {
        bz_error_set(e, E_DB_SCHEMA,
                     "无法读取数据库结构版本（meta.migration、meta.definition_file）：数据库早于"
                     "本程序，或当前用户（%s）无权读取；请由数据库属主运行 bizenv migrate，或以 "
                     "bizenv_analyst 的成员连接",
                     PQuser(conn));
        return e->status;
    }
    /* a database v0.1.0 set up has no meta.definition_file: it plans a rebase */
    res = PQexec(conn, has_definition ? sql_recorded : sql_recorded_migrations);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = db_error(e, conn, res, "读取数据库结构版本");
    else
        rc = plan_from(res, &bin, &plan, E_DB_SCHEMA, e);
    if (rc == 0 && plan.rebase) {
        rc = schema_behind(e, "由上一版本（v0.1.0）建立，尚未升级");
    } else if (rc == 0 && plan.npending > 0) {
        snprintf(why, sizeof(why), "缺少升级 %03d_%s", plan.pending[0].version,
                 plan.pending[0].name);
        rc = schema_behind(e, why);
    } else if (rc == 0 && plan.definitions > 0) {
        /* no migration tells which side is newer: the files differ */
        definitions_current(res, &bin, why, sizeof(why));
        bz_error_set(e, E_DB_SCHEMA,
                     "数据库中的函数与视图不是本程序的版本（%s）；只读命令不改动数据库：数据库较旧"
                     "时请由数据库属主运行 bizenv migrate，由其他版本的 bizenv 升级过时请使用与之"
                     "相符的版本",
                     why);
        rc = e->status;
    }
    PQclear(res);
    return rc;
}
