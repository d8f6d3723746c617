/*
 * export_data — what one export reads from the database, in one snapshot:
 * the ranking of the period (report.ranking), the county summary
 * (report.county_summary), and for the ADX roll-up the counts of every
 * month, quarter, half and year the period covers (report.sub_periods x
 * report.ranking); for the printed workbook the period in words, the
 * change since the previous period (report.ranking_change, joined to the
 * ranking), the composite month by month (report.ranking_trend) and what
 * each township's feedback page lists (report.open_problems,
 * report.period_warnings). It also stores the ranking
 * (report.refresh_ranking), or takes one stored before for this period
 * and as-of date, so the export record points at the exact rows and
 * weights it published.
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
    /* against the previous period (report.ranking_change): its composite
     * rank, the movement (↑2, ↓1, –, 新; NULL when not ranked now), the
     * change of the composite, and that as shown ("+1.23", "-0.50") */
    RK_PREV_RANK,
    RK_MOVEMENT,
    RK_COMPOSITE_CHANGE,
    RK_COMPOSITE_CHANGE_D,
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

/* Columns of export_data.trend: one row per township and month begun. */
enum export_trend_col { TR_CODE, TR_NAME, TR_MONTH, TR_COMPOSITE, TR_RANK, TR_NCOLS };

/* Columns of export_data.problems (open at the end of the period), labels
 * in Chinese. */
enum export_problem_col {
    PB_CODE,
    PB_ID,
    PB_SOURCE,
    PB_FOUND,
    PB_DEADLINE,
    PB_STATUS,
    PB_DESCRIPTION,
    PB_NCOLS
};

/* Columns of export_data.warnings (of the reports counted in the period). */
enum export_warning_col { WN_CODE, WN_MONTH, WN_REVISION, WN_WARNING, WN_MESSAGE, WN_NCOLS };

struct export_data {
    char period[16];       /* as given: 2026-10, 2026-Q4, 2026-H2, 2026 */
    char as_of[16];        /* YYYY-MM-DD */
    char county_code[16];  /* settings.county_code, or the townships' first 6 digits */
    char county_name[128]; /* settings.county_name, or the code */
    char exported_at[40];  /* xs:dateTime with offset, the transaction's time */
    char recorded_at[64];  /* the same exactly (timestamptz text), for meta.export */
    char build[160];       /* the build that writes the files (buildinfo_label()) */
    char period_name[64];  /* in words: 2026年10月, 2026年第四季度 */
    char previous[16];     /* the previous period of the same kind, "" before 1900 */
    char prev_name[64];    /* it in words */
    int months;            /* months in the period: 1, 3, 6, 12 */
    long long run_id;      /* facts.ranking_run of the stored ranking */
    PGresult *ranking;     /* owned; RK_NCOLS columns, display order */
    PGresult *summary;     /* owned; SU_NCOLS columns, one row */
    PGresult *groups;      /* owned; GR_NCOLS columns */
    PGresult *trend;       /* owned; TR_NCOLS columns; NULL for a month */
    PGresult *problems;    /* owned; PB_NCOLS columns, by township */
    PGresult *warnings;    /* owned; WN_NCOLS columns, by township */
};

/*
 * Reads everything for `period` as of `as_of` (YYYY-MM-DD), with the
 * ranking run run_id (facts.ranking_run), or a new one stored now when
 * run_id is 0. Returns 0, or BZ_EUSAGE (E_USAGE: the period is not valid),
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
