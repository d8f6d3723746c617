/*
 * dictionary — the analysts' data dictionary (bizenv dictionary), made
 * from the database's own description of itself:
 *   - every view of report, its comment, and each column with its type
 *     and comment (COMMENT ON COLUMN, sql/report/views.sql);
 *   - every function of report: its arguments, what it returns, its
 *     comment and the columns it returns (from its type's column comments,
 *     migration 092, or report.result_column); those an analyst may not
 *     call are listed apart;
 *   - the rules behind the figures (report.rule) and the example queries
 *     (report.example, each run by the tests as an analyst).
 * So the dictionary says what the database says, for whichever version
 * of it the connection reaches, and works over an analyst's own login.
 *
 * The content is read in one REPEATABLE READ, read-only transaction and
 * rendered by one of two writers behind the same calls (Markdown, or one
 * self-contained HTML page), into a bounded buffer. Nothing is written to
 * the database and this module never prints.
 */
#ifndef BZ_DICTIONARY_H
#define BZ_DICTIONARY_H

#include "../common/dbuf.h"
#include "../common/error.h"

#include <libpq-fe.h>

/* The whole document: report's some 25 objects and 250 columns take
 * about 60 KB; 8 MB leaves room for a schema many times that size. */
#define DICTIONARY_MAX_BYTES (8u << 20)

enum dictionary_format { DICTIONARY_MD, DICTIONARY_HTML };

/*
 * Appends the dictionary of the database conn reaches to out (whose limit
 * the caller chose, e.g. DICTIONARY_MAX_BYTES). Returns 0; the database
 * error (E_DB_QUERY, E_DB_CONNECT, E_TIMEOUT); E_NOMEM; E_EXPORT
 * (BZ_ELIMIT) past the buffer's limit.
 */
int dictionary_write(PGconn *conn, enum dictionary_format format, struct dbuf *out,
                     struct bz_error *e);

#endif
