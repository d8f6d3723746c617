/*
 * export_data — what one export reads from the database, in one snapshot:
 * the ranking of the period (report.ranking), the county summary
 * (report.county_summary), and for the ADX roll-up the counts of every
 * month, quarter, half and year the period covers (report.sub_periods x
 * report.ranking). It also stores the ranking (report.refresh_ranking), or
 * takes one stored before for this period and as-of date, so the export
 * record points at the exact rows and weights it published.
 *
 * Every figure, rank and rounding comes from SQL: the writers only format
 * these results. The caller runs it inside a REPEATABLE READ transaction
 * (export.c), so the three queries and the stored ranking see the same data.
 * This module never prints and never touches files.
 */
#ifndef BZ_EXPORT_DATA_H
#define BZ_EXPORT_DATA_H

#include "../common/error.h"
#include "../common/settings.h"

#include <libpq-fe.h>

/* Columns of export_data.ranking, in query order. */
enum export_rank_col {
    RK_CODE,
    RK_NAME,
    RK_SERVICE,
    RK_COMPLETION,
    RK_COVERAGE,
    RK_PARTICIPATION, /* exact fractions 0..1 */
    RK_COMPOSITE,     /* 0..100, 2 decimals */
    RK_COMPOSITE_RANK,
    RK_SERVICE_RANK,
    RK_COMPLETION_RANK,
    RK_COVERAGE_RANK,
    RK_STATUS,
    RK_MISSING, /* missing months, space-separated */
    RK_MONTHS_REPORTED,
    RK_MONTHS_EXPECTED,
    RK_MONTHS_ON_TIME,
    RK_REPORTING_RATE,
    RK_ON_TIME_RATE, /* exact fractions */
    RK_HANDLED,
    RK_EVALUATED,
    RK_DUE,
    RK_DONE,
    RK_WINDOWS_LISTED,
    RK_WINDOWS_WALKED,
    RK_LEADERS_LISTED,
    RK_LEADERS_WALKED,
    RK_SERVICE_D1,
    RK_COMPLETION_D1,
    RK_COVERAGE_D1, /* display: "96.8%" */
    RK_NCOLS
};

/* Columns of export_data.summary (one row). */
enum export_sum_col {
    SU_LISTED,
    SU_EXPECTED,
    SU_REPORTED,
    SU_COMPLETE,
    SU_ON_TIME,
    SU_HANDLED,
    SU_EVALUATED,
    SU_SERVICE,
    SU_DUE,
    SU_DONE,
    SU_COMPLETION,
    SU_WALKED,
    SU_WLISTED,
    SU_COVERAGE,
    SU_COMPOSITE,
    SU_BEST_SERVICE,
    SU_WORST_SERVICE,
    SU_BEST_COMPLETION,
    SU_WORST_COMPLETION,
    SU_BEST_COVERAGE,
    SU_WORST_COVERAGE,
    SU_BEST_COMPOSITE,
    SU_WORST_COMPOSITE,
    SU_REJECTED,
    SU_WARNINGS,
    SU_W_SERVICE,
    SU_W_COMPLETION,
    SU_W_COVERAGE,
    SU_NCOLS
};

/* Columns of export_data.groups: one row per sub-period and township. */
enum export_group_col {
    GR_FIRST_DAY,
    GR_MONTHS,
    GR_CODE,
    GR_NAME,
    GR_HANDLED,
    GR_EVALUATED,
    GR_DUE,
    GR_DONE,
    GR_WINDOWS_LISTED,
    GR_WINDOWS_WALKED,
    GR_LEADERS_LISTED,
    GR_LEADERS_WALKED,
    GR_MONTHS_EXPECTED,
    GR_MONTHS_REPORTED,
    GR_MONTHS_ON_TIME,
    GR_NCOLS
};
#define GR_FIRST_COUNT GR_HANDLED
#define GR_NCOUNTS (GR_NCOLS - GR_HANDLED)

struct export_data {
    char period[16];       /* as given: 2026-10, 2026-Q4, 2026-H2, 2026 */
    char as_of[16];        /* YYYY-MM-DD */
    char county_code[16];  /* settings.county_code, or the townships' first 6 digits */
    char county_name[128]; /* settings.county_name, or the code */
    char exported_at[40];  /* xs:dateTime with offset, the transaction's time */
    char recorded_at[64];  /* the same exactly (timestamptz text), for meta.export */
    char build[160];       /* the build that writes the files (buildinfo_label()) */
    long long run_id;      /* facts.ranking_run of the stored ranking */
    PGresult *ranking;     /* owned; RK_NCOLS columns, display order */
    PGresult *summary;     /* owned; SU_NCOLS columns, one row */
    PGresult *groups;      /* owned; GR_NCOLS columns */
};

/*
 * Reads everything for `period` as of `as_of` (YYYY-MM-DD), with the
 * ranking run run_id (facts.ranking_run), or a new one stored now when
 * run_id is 0. Returns 0, or BZ_EINPUT (E_USAGE: the period is not valid),
 * BZ_ECONFIG (no county code can be found), BZ_EFAIL (E_INTERNAL: run_id
 * is not of this period and as-of date), BZ_EDB/BZ_ETIMEOUT with e filled.
 * On failure *d holds nothing to free; on success the caller calls
 * export_data_free.
 */
int export_data_fetch(PGconn *conn, const struct settings *s, const char *period, const char *as_of,
                      long long run_id, struct export_data *d, struct bz_error *e);

/* Frees the results; *d is empty afterwards. */
void export_data_free(struct export_data *d);

/* The value of a cell, or NULL when it is SQL NULL. */
const char *export_data_cell(const PGresult *res, int row, int col);

#endif
