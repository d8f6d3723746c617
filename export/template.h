/*
 * template — the monthly workbooks (填报表) the county sends its townships.
 *
 * One .xlsx per township and month, written with libxlsxwriter from the
 * layout in transform/wblayout.h (the same description the reader uses):
 * a sheet of instructions, one sheet per section of format 1 in the order
 * of the township report, data validation (whole numbers, dates inside
 * the month, dropdowns of the window catalog, roles, sources, statuses,
 * and each walk's leader and window over the workbook's own lists), and
 * the hidden, protected sheet `bizenv` with the template's identity.
 * Locked cells (identity, headers, labels, carried problems' ids and found
 * dates) are protected against accidental edits; that is not a security
 * boundary, the reader checks everything again.
 *
 * Pre-filled from the database (sql/load/workbook.sql), in one REPEATABLE
 * READ READ ONLY snapshot: windows, leaders and contact from the township's
 * latest accepted submission before the month, and the problems still open
 * at the end of the previous month (ids and found dates kept); counts
 * start empty. With `revise`, everything comes from the month's current
 * accepted revision and the workbook carries revision N+1. A township that
 * already has an accepted submission for the month gets no new workbook
 * without `revise` (E_TEMPLATE_EXISTS), and none with `revise` when it has
 * none (E_TEMPLATE_NO_REVISION); the others are still written.
 *
 * Files are written under a temporary name and renamed into place, so a
 * failed run leaves no half-written workbook. The same database state and
 * arguments give the same bytes (no clock time in the files).
 *
 * Never prints.
 */
#ifndef BZ_TEMPLATE_H
#define BZ_TEMPLATE_H

#include "../common/error.h"
#include "../common/settings.h"

#include <libpq-fe.h>

struct template_opts {
    const char *period;   /* YYYY-MM */
    const char *township; /* a 9-digit code, or NULL for every active township */
    int revise;           /* correct the current revision (N+1) */
    const char *out_dir;  /* NULL: the `templates` setting, sub-folder PERIOD */
};

/* One township's outcome, for the caller's report. */
struct template_item {
    const char *code;
    const char *name;
    const char *path; /* the workbook written, NULL when skipped */
    const char *skip; /* E_TEMPLATE_EXISTS / E_TEMPLATE_NO_REVISION, NULL when written */
    long revision;    /* the workbook's revision; for a skip, the current one (0: none) */
    int prefilled;    /* a submission was there to pre-fill from */
};

typedef void (*template_observer)(const struct template_item *it, void *arg);

struct template_result {
    int written, skipped;
    char dir[BZ_PATH_MAX + 16]; /* where the workbooks are */
};

/*
 * Writes the period's workbooks. Returns 0 with *r filled (skipped
 * townships are not a failure), or BZ_EUSAGE (bad period; unknown
 * township, E_USAGE), BZ_EIO, BZ_EDB, BZ_ETIMEOUT, BZ_ENOMEM with e filled.
 * The connection must not be inside a transaction. `obs` (may be NULL) is
 * called once per township, in code order.
 */
int template_run(PGconn *conn, const struct settings *s, const struct template_opts *o,
                 template_observer obs, void *arg, struct template_result *r, struct bz_error *e);

#endif
