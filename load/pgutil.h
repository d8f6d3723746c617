/*
 * pgutil — the libpq plumbing the load stage shares: COPY text-format rows
 * and single commands; failures are reported through db_error (db.h).
 *
 * COPY rows are built in a dbuf with every value escaped for COPY's text
 * format (backslash, tab, newline, carriage return), so submitted text of
 * any content reaches the server as data, never as SQL. The helpers only
 * format and send; only pgutil_exec/pgutil_rollback run commands the
 * caller names (BEGIN, COMMIT, ...), and nothing here prints.
 *
 * A query's result leaves load/ as struct pgutil_rows: its text copied
 * out by column name, so jobs/ prints plain strings and a reordered
 * SELECT cannot shift meanings.
 */
#ifndef BZ_PGUTIL_H
#define BZ_PGUTIL_H

#include "../common/dbuf.h"
#include "../common/error.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

/* Rows are sent to the server whenever the buffer passes this many bytes:
 * big enough that a submission goes in a few messages, small enough that
 * memory stays flat for a long registry. */
#define PGUTIL_COPY_FLUSH 65536

/* Appends one field: a tab separator unless `first`, then str escaped for
 * COPY text format, or \N when str is NULL. Returns 0 or the dbuf error. */
int pgutil_copy_text(struct dbuf *b, int first, const char *str);

/* Appends one integer field (never NULL). */
int pgutil_copy_int(struct dbuf *b, int first, int64_t v);

/* Appends a yyyymmdd date as YYYY-MM-DD, or \N when v is 0. */
int pgutil_copy_date(struct dbuf *b, int first, int32_t v);

/* Appends a text[] field holding the n strings (array literal, each element
 * quoted, then COPY-escaped). */
int pgutil_copy_text_array(struct dbuf *b, int first, const char *const *v, size_t n);

/* Appends the n strings as a text[] literal ({"a","b\"c"}): each element
 * quoted, " and \ escaped; for query parameters and COPY fields alike. */
int pgutil_array_literal(struct dbuf *b, const char *const *v, size_t n);

/* Ends the row (newline). */
int pgutil_copy_end_row(struct dbuf *b);

/*
 * Starts `COPY ... FROM STDIN` (sql). Returns 0 or BZ_EDB/BZ_ETIMEOUT with
 * e filled ("what" names the table in Chinese).
 */
int pgutil_copy_begin(PGconn *conn, const char *sql, const char *what, struct bz_error *e);

/* Sends b's content when it passed PGUTIL_COPY_FLUSH (always when `force`)
 * and empties b. Returns 0 or BZ_EDB with e filled. */
int pgutil_copy_flush(PGconn *conn, struct dbuf *b, int force, struct bz_error *e);

/* Sends what is left in b and ends the COPY; the server's verdict (a CHECK
 * or type violation in any row) comes back here. Returns 0 or BZ_EDB/BZ_ETIMEOUT. */
int pgutil_copy_end(PGconn *conn, struct dbuf *b, const char *what, struct bz_error *e);

/* Ends a COPY in progress as failed (the server discards its rows) and
 * drains the results, so the connection can ROLLBACK. Ignores failures. */
void pgutil_copy_abort(PGconn *conn);

/* Fills e for a buffer that could not take a row: E_NOMEM when memory ran
 * out, E_INTERNAL when it hit its limit (the limits are set far above what
 * the caps on input allow, so that is a bug). Returns e->status. */
int pgutil_buffer_error(int rc, struct bz_error *e);

/* A query's rows as text, columns in the order the caller named them (at
 * most PGUTIL_ROWS_MAXCOLS). */
#define PGUTIL_ROWS_MAXCOLS 32
struct pgutil_rows {
    size_t n;    /* rows */
    int ncols;   /* columns of each */
    char **cell; /* n * ncols values (NULL for SQL NULL), and the text after them: one
                  * allocation, owned, freed by pgutil_rows_free */
};

/*
 * Copies the rows of a result whose columns include `names` (ncols of
 * them) into *out. Returns 0, or E_INTERNAL (a column missing: the SQL and
 * the caller disagree) / E_NOMEM with e filled and *out empty.
 */
int pgutil_rows_take(const PGresult *res, const char *const *names, int ncols,
                     struct pgutil_rows *out, struct bz_error *e);

/* Row r's value of column c (as named to pgutil_rows_take): NULL for SQL
 * NULL. r and c must be in range. */
const char *pgutil_rows_at(const struct pgutil_rows *rows, size_t r, int c);

/* Frees what *rows owns; it is empty afterwards. */
void pgutil_rows_free(struct pgutil_rows *rows);

/* Runs sql with n text parameters, expecting exactly one row. Returns 0,
 * or the db_error; *res is the caller's to PQclear either way. */
int pgutil_query_row(PGconn *conn, const char *sql, int n, const char *const *params,
                     const char *what, PGresult **res, struct bz_error *e);

/* Runs sql with n text parameters and takes the rows' columns `cols`
 * (pgutil_rows_take). Returns 0 with *out, or the failure with *out empty. */
int pgutil_query_rows(PGconn *conn, const char *sql, int n, const char *const *params,
                      const char *what, const char *const *cols, int ncols, struct pgutil_rows *out,
                      struct bz_error *e);

/* Runs a parameterless command expecting no rows (BEGIN, COMMIT, SET ...).
 * Returns 0 or the db_error status. */
int pgutil_exec(PGconn *conn, const char *sql, const char *what, struct bz_error *e);

/* Sends ROLLBACK, ignoring any failure: used on error paths, where the
 * first error is the one worth reporting. */
void pgutil_rollback(PGconn *conn);

/* COMMIT; when it fails, a ROLLBACK too, so that the connection is idle
 * again whatever happened. Returns 0 or the failure (as pgutil_exec). */
int pgutil_commit(PGconn *conn, const char *what, struct bz_error *e);

#endif
