#include "registry.h"

#include "../common/dbuf.h"
#include "db.h"
#include "loader.h"
#include "pgutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The COPY of one registry file: names are at most REGCSV_COUNTY_NAME
 * bytes, so a row is far below this; the rows go out every
 * PGUTIL_COPY_FLUSH bytes. */
#define ROW_LIMIT (1u << 20)

static const char sql_next_load[] = "SELECT nextval('staging.load_id_seq') AS id";
static const char copy_registry[] = "COPY staging.registry (load_id, line, code, name) FROM STDIN";
static const char sql_merge_townships[] =
    "SELECT added, renamed, inactivated, reactivated, unchanged"
    " FROM load.merge_registry($1::bigint)";
static const char sql_merge_counties[] =
    "SELECT added, renamed, inactivated FROM load.county_registry($1::text[], $2::text[])";
static const char sql_active_townships[] =
    "SELECT code, name FROM ref.township WHERE active ORDER BY code";

static int
int_column(const PGresult *res, const char *name)
{
    int col = PQfnumber(res, name);
    return col >= 0 ? atoi(PQgetvalue(res, 0, col)) : 0;
}

/* The rows into staging.registry under load id `id`, one COPY. */
static int
stage_townships(PGconn *conn, int64_t id, const struct regcsv *reg, struct bz_error *e)
{
    struct dbuf b;
    dbuf_init(&b, ROW_LIMIT);
    int rc = pgutil_copy_begin(conn, copy_registry, "写入乡镇名录暂存表", e);
    for (size_t i = 0; rc == 0 && i < reg->n; i++) {
        int brc = pgutil_copy_int(&b, 1, id);
        brc = brc ? brc : pgutil_copy_int(&b, 0, reg->rows[i].line);
        brc = brc ? brc : pgutil_copy_text(&b, 0, reg->rows[i].code);
        brc = brc ? brc : pgutil_copy_text(&b, 0, reg->rows[i].name);
        brc = brc ? brc : pgutil_copy_end_row(&b);
        rc = brc < 0 ? pgutil_buffer_error(brc, e) : pgutil_copy_flush(conn, &b, 0, e);
    }
    if (rc == 0)
        rc = pgutil_copy_end(conn, &b, "写入乡镇名录暂存表", e);
    else if (PQtransactionStatus(conn) == PQTRANS_ACTIVE)
        pgutil_copy_abort(conn);
    dbuf_free(&b);
    return rc;
}

static int
merge_townships(PGconn *conn, int64_t id, struct registry_stats *stats, struct bz_error *e)
{
    char sid[32];
    const char *params[1] = {sid};
    PGresult *res;
    snprintf(sid, sizeof(sid), "%" PRId64, id);
    int rc = pgutil_query_row(conn, sql_merge_townships, 1, params, "合并乡镇名录", &res, e);
    if (rc == 0) {
        stats->added = int_column(res, "added");
        stats->renamed = int_column(res, "renamed");
        stats->inactivated = int_column(res, "inactivated");
        stats->reactivated = int_column(res, "reactivated");
        stats->unchanged = int_column(res, "unchanged");
    }
    PQclear(res);
    return rc;
}

int
registry_merge_townships(PGconn *conn, const struct regcsv *reg, struct registry_stats *stats,
                         struct bz_error *e)
{
    PGresult *res = NULL;
    memset(stats, 0, sizeof(*stats));
    int rc = pgutil_query_row(conn, sql_next_load, 0, NULL, "分配装载编号", &res, e);
    int64_t id = rc == 0 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    if (rc == 0)
        rc = stage_townships(conn, id, reg, e);
    if (rc == 0)
        rc = merge_townships(conn, id, stats, e);
    if (rc < 0)
        memset(stats, 0, sizeof(*stats));
    return rc;
}

int
registry_load_townships(PGconn *conn, const struct regcsv *reg, struct registry_stats *stats,
                        struct bz_error *e)
{
    int rc = loader_batch_begin(conn, e);
    if (rc < 0)
        return rc;
    rc = registry_merge_townships(conn, reg, stats, e);
    if (rc == 0)
        rc = loader_batch_commit(conn, e);
    else
        loader_batch_rollback(conn);
    if (rc < 0)
        memset(stats, 0, sizeof(*stats));
    return rc;
}

int
registry_load_counties(PGconn *conn, const struct regcsv *reg, struct registry_stats *stats,
                       struct bz_error *e)
{
    struct dbuf codes, names;
    PGresult *res = NULL;
    const char **code = calloc(reg->n ? reg->n : 1, sizeof(*code));
    const char **name = calloc(reg->n ? reg->n : 1, sizeof(*name));
    int rc = 0;

    memset(stats, 0, sizeof(*stats));
    dbuf_init(&codes, 1u << 20);
    dbuf_init(&names, 16u << 20);
    if (code == NULL || name == NULL) {
        rc = bz_error_set(e, E_NOMEM, "内存不足，无法载入县名录");
        goto out;
    }
    for (size_t i = 0; i < reg->n; i++) {
        code[i] = reg->rows[i].code;
        name[i] = reg->rows[i].name;
    }
    rc = pgutil_array_literal(&codes, code, reg->n);
    if (rc == 0)
        rc = pgutil_array_literal(&names, name, reg->n);
    if (rc < 0) {
        rc = pgutil_buffer_error(rc, e);
        goto out;
    }
    const char *params[] = {codes.data, names.data};
    rc = pgutil_query_row(conn, sql_merge_counties, 2, params, "载入县名录", &res, e);
    if (rc == 0) {
        stats->added = int_column(res, "added");
        stats->renamed = int_column(res, "renamed");
        stats->inactivated = int_column(res, "inactivated");
    }
out:
    PQclear(res);
    free(code);
    free(name);
    dbuf_free(&codes);
    dbuf_free(&names);
    return rc;
}

/* The copy of the active townships ------------------------------------------ */

#define TOWNSHIPS_MAX 100000

struct township_entry {
    char code[16];
    char *name;
};

struct registry_townships {
    struct township_entry *v;
    size_t n;
};

static int
township_cmp(const void *a, const void *b)
{
    return strcmp(((const struct township_entry *)a)->code,
                  ((const struct township_entry *)b)->code);
}

void
registry_townships_free(struct registry_townships *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].name);
    free(t->v);
    free(t);
}

int
registry_townships_read(PGconn *conn, struct registry_townships **out, struct bz_error *e)
{
    int rc = 0;
    *out = NULL;
    PGresult *res = PQexec(conn, sql_active_townships);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = db_error(e, conn, res, "读取乡镇名录");
        PQclear(res);
        return rc;
    }
    size_t n = (size_t)PQntuples(res);
    int c_code = PQfnumber(res, "code"), c_name = PQfnumber(res, "name");
    struct registry_townships *t = calloc(1, sizeof(*t));
    if (t == NULL || n > TOWNSHIPS_MAX || (n > 0 && (t->v = calloc(n, sizeof(*t->v))) == NULL)) {
        rc = bz_error_set(e, E_NOMEM, "内存不足，无法读取乡镇名录");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const char *code = PQgetvalue(res, (int)i, c_code);
        if (strlen(code) >= sizeof(t->v[i].code))
            continue; /* never a valid code: it can match nothing anyway */
        t->v[t->n].name = strdup(PQgetvalue(res, (int)i, c_name));
        if (t->v[t->n].name == NULL) {
            rc = bz_error_set(e, E_NOMEM, "内存不足，无法读取乡镇名录");
            goto out;
        }
        memcpy(t->v[t->n].code, code, strlen(code) + 1);
        t->n++;
    }
    /* the server's collation may order codes differently from strcmp */
    if (t->n > 1)
        qsort(t->v, t->n, sizeof(*t->v), township_cmp);
out:
    PQclear(res);
    if (rc < 0)
        registry_townships_free(t);
    else
        *out = t;
    return rc;
}

int
registry_townships_lookup(const char *code, const char **name, void *arg)
{
    const struct registry_townships *t = arg;
    struct township_entry key;
    if (t == NULL || code == NULL || strlen(code) >= sizeof(key.code))
        return 0;
    memcpy(key.code, code, strlen(code) + 1);
    const struct township_entry *hit =
        t->n ? bsearch(&key, t->v, t->n, sizeof(*t->v), township_cmp) : NULL;
    if (hit == NULL)
        return 0;
    if (name != NULL)
        *name = hit->name;
    return 1;
}

size_t
registry_townships_count(const struct registry_townships *t)
{
    return t == NULL ? 0 : t->n;
}

void
registry_townships_at(const struct registry_townships *t, size_t i, const char **code,
                      const char **name)
{
    *code = t->v[i].code;
    *name = t->v[i].name;
}
