#include "pgutil.h"

#include "db.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Escapes str for COPY text format. Only these four bytes need it; every
 * other byte (quotes, semicolons, any UTF-8) is data as it stands. */
static int
add_escaped(struct dbuf *b, const char *str)
{
    const char *run = str;
    for (const char *p = str; *p != '\0'; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '\\':
            rep = "\\\\";
            break;
        case '\t':
            rep = "\\t";
            break;
        case '\n':
            rep = "\\n";
            break;
        case '\r':
            rep = "\\r";
            break;
        default:
            continue;
        }
        int rc = dbuf_add(b, run, (size_t)(p - run));
        if (rc == 0)
            rc = dbuf_adds(b, rep);
        if (rc < 0)
            return rc;
        run = p + 1;
    }
    return dbuf_adds(b, run);
}

static int
separator(struct dbuf *b, int first)
{
    return first ? 0 : dbuf_add(b, "\t", 1);
}

int
pgutil_copy_text(struct dbuf *b, int first, const char *str)
{
    int rc = separator(b, first);
    if (rc < 0)
        return rc;
    return str == NULL ? dbuf_adds(b, "\\N") : add_escaped(b, str);
}

int
pgutil_copy_int(struct dbuf *b, int first, int64_t v)
{
    int rc = separator(b, first);
    return rc < 0 ? rc : dbuf_printf(b, "%" PRId64, v);
}

int
pgutil_copy_date(struct dbuf *b, int first, int32_t v)
{
    int rc = separator(b, first);
    if (rc < 0)
        return rc;
    if (v == 0)
        return dbuf_adds(b, "\\N");
    return dbuf_printf(b, "%04d-%02d-%02d", (int)(v / 10000), (int)(v / 100 % 100), (int)(v % 100));
}

int
pgutil_array_literal(struct dbuf *b, const char *const *v, size_t n)
{
    int rc = dbuf_adds(b, "{");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = dbuf_adds(b, i == 0 ? "\"" : ",\"");
        for (const char *p = v[i]; rc == 0 && *p != '\0'; p++) {
            if (*p == '"' || *p == '\\')
                rc = dbuf_add(b, "\\", 1);
            if (rc == 0)
                rc = dbuf_add(b, p, 1);
        }
        if (rc == 0)
            rc = dbuf_adds(b, "\"");
    }
    return rc == 0 ? dbuf_adds(b, "}") : rc;
}

/* The array literal is built first, then COPY-escaped like any text. */
int
pgutil_copy_text_array(struct dbuf *b, int first, const char *const *v, size_t n)
{
    struct dbuf lit;

    dbuf_init(&lit, b->limit);
    int rc = pgutil_array_literal(&lit, v, n);
    if (rc == 0)
        rc = pgutil_copy_text(b, first, lit.data);
    dbuf_free(&lit);
    return rc;
}

int
pgutil_copy_end_row(struct dbuf *b)
{
    return dbuf_add(b, "\n", 1);
}

int
pgutil_exec(PGconn *conn, const char *sql, const char *what, struct bz_error *e)
{
    PGresult *res = PQexec(conn, sql);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = db_error(e, conn, res, what);
    PQclear(res);
    return rc;
}

void
pgutil_rollback(PGconn *conn)
{
    PGresult *res = PQexec(conn, "ROLLBACK");
    PQclear(res);
}

int
pgutil_commit(PGconn *conn, const char *what, struct bz_error *e)
{
    int rc = pgutil_exec(conn, "COMMIT", what, e);
    if (rc < 0)
        pgutil_rollback(conn);
    return rc;
}

int
pgutil_copy_begin(PGconn *conn, const char *sql, const char *what, struct bz_error *e)
{
    PGresult *res = PQexec(conn, sql);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COPY_IN)
        rc = db_error(e, conn, res, what);
    PQclear(res);
    return rc;
}

int
pgutil_copy_flush(PGconn *conn, struct dbuf *b, int force, struct bz_error *e)
{
    if (b->len == 0 || (!force && b->len < PGUTIL_COPY_FLUSH))
        return 0;
    /* blocking connection: 1 = queued, -1 = failed, 0 never happens */
    if (PQputCopyData(conn, b->data, (int)b->len) != 1)
        return db_error(e, conn, NULL, "向数据库发送数据");
    dbuf_reset(b);
    return 0;
}

int
pgutil_copy_end(PGconn *conn, struct dbuf *b, const char *what, struct bz_error *e)
{
    int rc = pgutil_copy_flush(conn, b, 1, e);
    if (PQputCopyEnd(conn, rc < 0 ? "aborted by client" : NULL) != 1 && rc == 0)
        rc = db_error(e, conn, NULL, what);
    /* drain every result so the connection is usable (for ROLLBACK) afterwards */
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL) {
        if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = db_error(e, conn, res, what);
        PQclear(res);
    }
    return rc;
}

void
pgutil_copy_abort(PGconn *conn)
{
    PQputCopyEnd(conn, "aborted by bizenv");
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL)
        PQclear(res);
}

int
pgutil_buffer_error(int rc, struct bz_error *e)
{
    if (rc == BZ_ENOMEM)
        return bz_error_set(e, E_NOMEM, "内存不足，无法装载报表");
    return bz_error_set(e, E_INTERNAL, "装载数据超过缓冲区上限");
}

int
pgutil_rows_take(const PGresult *res, const char *const *names, int ncols, struct pgutil_rows *out,
                 struct bz_error *e)
{
    int col[PGUTIL_ROWS_MAXCOLS];
    size_t n = (size_t)PQntuples(res), text = 0;
    memset(out, 0, sizeof(*out));
    if (ncols > PGUTIL_ROWS_MAXCOLS)
        return bz_error_set(e, E_INTERNAL, "查询结果的列数超过 %d", PGUTIL_ROWS_MAXCOLS);
    for (int c = 0; c < ncols; c++) {
        col[c] = PQfnumber(res, names[c]);
        if (col[c] < 0)
            return bz_error_set(e, E_INTERNAL, "查询结果缺少列 %s", names[c]);
    }
    for (size_t r = 0; r < n; r++)
        for (int c = 0; c < ncols; c++)
            text +=
                PQgetisnull(res, (int)r, col[c]) ? 0 : (size_t)PQgetlength(res, (int)r, col[c]) + 1;
    char **cell = malloc(n * (size_t)ncols * sizeof(*cell) + text + 1);
    if (cell == NULL)
        return bz_error_set(e, E_NOMEM, "内存不足，无法读取查询结果");
    char *p = (char *)(cell + n * (size_t)ncols);
    for (size_t r = 0; r < n; r++)
        for (int c = 0; c < ncols; c++) {
            char **v = &cell[r * (size_t)ncols + (size_t)c];
            if (PQgetisnull(res, (int)r, col[c])) {
                *v = NULL;
                continue;
            }
            size_t len = (size_t)PQgetlength(res, (int)r, col[c]);
            memcpy(p, PQgetvalue(res, (int)r, col[c]), len + 1);
            *v = p;
            p += len + 1;
        }
    out->n = n;
    out->ncols = ncols;
    out->cell = cell;
    return 0;
}

const char *
pgutil_rows_at(const struct pgutil_rows *rows, size_t r, int c)
{
    return rows->cell[r * (size_t)rows->ncols + (size_t)c];
}

void
pgutil_rows_free(struct pgutil_rows *rows)
{
    free(rows->cell);
    memset(rows, 0, sizeof(*rows));
}

int
pgutil_query_row(PGconn *conn, const char *sql, int n, const char *const *params, const char *what,
                 PGresult **res, struct bz_error *e)
{
    *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(*res) != PGRES_TUPLES_OK || PQntuples(*res) != 1)
        return db_error(e, conn, *res, what);
    return 0;
}

int
pgutil_query_rows(PGconn *conn, const char *sql, int n, const char *const *params, const char *what,
                  const char *const *cols, int ncols, struct pgutil_rows *out, struct bz_error *e)
{
    memset(out, 0, sizeof(*out));
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? pgutil_rows_take(res, cols, ncols, out, e)
                                                    : db_error(e, conn, res, what);
    PQclear(res);
    return rc;
}
