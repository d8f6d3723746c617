/*
 * ranking — the statements jobs/ sends about rankings: a period's ranking
 * as `bizenv rank` prints it, the nightly's refresh of the periods it
 * touched, and the last ended month's reporting for the night's summary.
 *
 * Every figure, rank and rounding comes from the report schema
 * (sql/report/): the queries here only choose which function to call and
 * how to show its numbers (percentages rounded for display), and hand the
 * rows back as text (pgutil.h), columns in the order of the enums below.
 * Values reach the server only as parameters. Never prints.
 */
#ifndef BZ_RANKING_H
#define BZ_RANKING_H

#include "../common/error.h"
#include "pgutil.h"

#include <libpq-fe.h>

/* Columns of ranking_read: report.ranking's, rates in percent with two
 * decimals (the CSV) and one with '%' (the table); NULL where it has none. */
enum ranking_col {
    RANKING_RANK,
    RANKING_CODE,
    RANKING_NAME,
    RANKING_SERVICE,
    RANKING_COMPLETION,
    RANKING_COVERAGE,
    RANKING_COMPOSITE,
    RANKING_SERVICE_RANK,
    RANKING_COMPLETION_RANK,
    RANKING_COVERAGE_RANK,
    RANKING_STATUS,
    RANKING_MISSING, /* missing months, space-separated */
    RANKING_SERVICE_PCT,
    RANKING_COMPLETION_PCT,
    RANKING_COVERAGE_PCT,
    RANKING_NCOLS
};

/*
 * The ranking of `period` as of the end of `as_of` (YYYY-MM-DD), in rank
 * order (unranked last, by code); only reads. Returns 0 with *out, or
 * E_USAGE (BZ_EUSAGE: the period is not one, the server's hint in
 * e->detail), or the database error.
 */
int ranking_read(PGconn *conn, const char *period, const char *as_of, struct pgutil_rows *out,
                 struct bz_error *e);

/* Columns of ranking_refresh. */
enum ranking_refresh_col { REFRESH_PERIOD, REFRESH_RUN, REFRESH_CHANGED, REFRESH_NCOLS };

/*
 * Refreshes the stored rankings of the n periods (YYYY-MM, YYYY-Qn,
 * YYYY-Hn, YYYY) as of `as_of` in one statement
 * (report.refresh_rankings_if_changed): one row per period with the
 * facts.ranking_run id that holds it and "t" when it was stored anew.
 * Returns 0 with *out, or the database error.
 */
int ranking_refresh(PGconn *conn, const char *const *periods, size_t n, const char *as_of,
                    struct pgutil_rows *out, struct bz_error *e);

/* Columns of ranking_reporting. */
enum ranking_reporting_col {
    REPORTING_CODE,
    REPORTING_NAME,
    REPORTING_STATUS,          /* 已报送 / 缺报 / 未报送 */
    REPORTING_MONTHS_REPORTED, /* of the month: 0 or 1 */
    REPORTING_MONTHS_ON_TIME,
    REPORTING_NCOLS
};

/*
 * The stored ranking of `month` (YYYY-MM) as of `as_of`, stored first when
 * its inputs changed (report.refresh_ranking_if_changed): its
 * facts.ranking_run id into run. The nightly runs it in the transaction
 * that journals it. Returns 0, or the database error.
 */
int ranking_month_run(PGconn *conn, const char *month, const char *as_of, char run[32],
                      struct bz_error *e);

/*
 * How each township reported in stored ranking `run` (ranking_month_run),
 * by code. A statement of its own: a statement does not see rows a
 * function it calls stores. Returns 0 with *out, or the database error.
 */
int ranking_reporting(PGconn *conn, const char *run, struct pgutil_rows *out, struct bz_error *e);

#endif
