/*
 * bizenv rank PERIOD [--as-of DATE] [--format table|csv] — print the county
 * ranking of a month, quarter, half or year (metrics.md).
 *
 * Every figure, rank and rounding comes from report.ranking (sql/report/): this
 * file only formats what the query returns and never recomputes a figure.
 * The period is checked by report.period_bounds; its SQLSTATE 22023 becomes
 * a usage error. It only reads: nothing is migrated or created, and a
 * database whose schema is not this binary's is refused (E_DB_SCHEMA), so
 * an analyst's read-only role can use it.
 *
 * table: Chinese headers, aligned by display width (CJK = 2 columns),
 *        control characters in names shown escaped.
 * csv:   the fixed header below, LF line ends, each field as the export
 *        CSV writes it (csvout_field: RFC 4180 quoting and the formula
 *        guard).
 */
#include "commands.h"

#include "../common/esc.h"
#include "../export/csvout.h"
#include "../load/db.h"
#include "session.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

/* $1 = period text, $2 = as-of date. Columns by index: see enum rank_col. */
static const char RANK_QUERY[] =
    "SELECT r.composite_rank::text, r.code, r.name,"
    "       round(r.service_rate * 100, 2)::text, round(r.completion_rate * 100, 2)::text,"
    "       round(r.walk_coverage * 100, 2)::text, r.composite::text,"
    "       r.service_rank::text, r.completion_rank::text, r.coverage_rank::text,"
    "       r.status, array_to_string(r.missing_months, ' '),"
    "       round(r.service_rate * 100, 1)::text || '%', round(r.completion_rate * 100, 1)::text "
    "|| '%',"
    "       round(r.walk_coverage * 100, 1)::text || '%'"
    "  FROM report.ranking($1, $2::date) AS r"
    " ORDER BY r.composite_rank NULLS LAST, r.code";

enum rank_col {
    COL_RANK,
    COL_CODE,
    COL_NAME,
    COL_SERVICE2,
    COL_COMPLETION2,
    COL_COVERAGE2,
    COL_COMPOSITE,
    COL_SERVICE_RANK,
    COL_COMPLETION_RANK,
    COL_COVERAGE_RANK,
    COL_STATUS,
    COL_MISSING,
    COL_SERVICE1,
    COL_COMPLETION1,
    COL_COVERAGE1,
    COL_COUNT
};

/* One escaped table cell: a township name of up to 255 bytes, escaped. */
#define TABLE_CELL_MAX 1024
/* One CSV row: twelve short fields and a name; a name of 60,000 bytes
 * would be a registry error. */
#define CSV_ROW_LIMIT (64u << 10)

static const char CSV_HEADER[] =
    "rank,code,name,service_rate,completion_rate,walk_coverage,composite,"
    "service_rank,completion_rank,coverage_rank,status,missing_months";

/* CSV columns in header order, as query columns. */
static const int CSV_COLS[] = {COL_RANK,          COL_CODE,         COL_NAME,
                               COL_SERVICE2,      COL_COMPLETION2,  COL_COVERAGE2,
                               COL_COMPOSITE,     COL_SERVICE_RANK, COL_COMPLETION_RANK,
                               COL_COVERAGE_RANK, COL_STATUS,       COL_MISSING};

/* Table columns: header, query column, right-aligned. */
struct table_col {
    const char *title;
    int col;
    int right;
};
static const struct table_col TABLE_COLS[] = {
    {"排名", COL_RANK, 1},
    {"代码", COL_CODE, 0},
    {"乡镇", COL_NAME, 0},
    {"服务率", COL_SERVICE1, 1},
    {"整改完成率", COL_COMPLETION1, 1},
    {"走流程覆盖率", COL_COVERAGE1, 1},
    {"综合得分", COL_COMPOSITE, 1},
    {"报送状态", COL_STATUS, 0},
    {"缺报月份", COL_MISSING, 0},
};
#define TABLE_NCOLS (sizeof(TABLE_COLS) / sizeof(TABLE_COLS[0]))

static const char USAGE[] =
    "用法：bizenv rank 期间 [--as-of YYYY-MM-DD] [--format table|csv]\n"
    "  期间：2026-10（月）、2026-Q4（季度）、2026-H2（半年）或 2026（年）\n";

/* East Asian wide and fullwidth ranges (UAX #11, the blocks bizenv meets):
 * such a character takes two terminal columns. */
static int
cp_width(unsigned long cp)
{
    if (cp < 0x20)
        return 0;
    if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
        (cp >= 0x3041 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
        (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
        (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) ||
        (cp >= 0x20000 && cp <= 0x3FFFD))
        return 2;
    return 1;
}

/* Display width of UTF-8 text (the server sends UTF-8; an invalid byte
 * counts as one column so a damaged name cannot break the layout). */
static int
display_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    int w = 0;
    while (*p != '\0') {
        unsigned long cp = *p;
        int len = 1;
        if (*p >= 0xF0 && *p < 0xF8)
            cp = *p & 0x07, len = 4;
        else if (*p >= 0xE0)
            cp = *p & 0x0F, len = 3;
        else if (*p >= 0xC0)
            cp = *p & 0x1F, len = 2;
        int i = 1;
        for (; i < len && (p[i] & 0xC0) == 0x80; i++)
            cp = (cp << 6) | (p[i] & 0x3F);
        if (i < len) { /* truncated sequence */
            cp = '?';
            len = 1;
        }
        w += cp_width(cp);
        p += len;
    }
    return w;
}

static void
put_padded(const char *s, int width, int right, int last)
{
    int pad = width - display_width(s);
    if (right)
        for (int i = 0; i < pad; i++)
            putchar(' ');
    fputs(s, stdout);
    if (!right && !last)
        for (int i = 0; i < pad; i++)
            putchar(' ');
}

/* NULL (no rank, no figure) shows as "-" in the table; a name's control
 * and line-breaking characters show escaped, so a row stays one line. */
static const char *
table_cell(const PGresult *res, int row, int col, char buf[TABLE_CELL_MAX])
{
    if (PQgetisnull(res, row, col))
        return "-";
    return esc_text(buf, TABLE_CELL_MAX, PQgetvalue(res, row, col));
}

static void
print_table(const PGresult *res, const char *period, const char *as_of)
{
    int width[TABLE_NCOLS];
    int rows = PQntuples(res);
    char buf[TABLE_CELL_MAX];

    for (size_t c = 0; c < TABLE_NCOLS; c++) {
        width[c] = display_width(TABLE_COLS[c].title);
        for (int r = 0; r < rows; r++) {
            int w = display_width(table_cell(res, r, TABLE_COLS[c].col, buf));
            if (w > width[c])
                width[c] = w;
        }
    }
    printf("排名期间 %s（截至 %s）\n", period, as_of);
    for (size_t c = 0; c < TABLE_NCOLS; c++) {
        if (c > 0)
            fputs("  ", stdout);
        put_padded(TABLE_COLS[c].title, width[c], TABLE_COLS[c].right, c + 1 == TABLE_NCOLS);
    }
    putchar('\n');
    for (int r = 0; r < rows; r++) {
        for (size_t c = 0; c < TABLE_NCOLS; c++) {
            if (c > 0)
                fputs("  ", stdout);
            put_padded(table_cell(res, r, TABLE_COLS[c].col, buf), width[c], TABLE_COLS[c].right,
                       c + 1 == TABLE_NCOLS);
        }
        putchar('\n');
    }
}

/* Each field as the export CSV writes it (export/csvout.c: RFC 4180
 * quoting, a leading ' before what a spreadsheet would take for a formula),
 * one row at a time. Returns 0, or the dbuf error for a row past its limit. */
static int
print_csv(const PGresult *res)
{
    struct dbuf row;
    int rc = 0;
    dbuf_init(&row, CSV_ROW_LIMIT);
    puts(CSV_HEADER);
    for (int r = 0; rc == 0 && r < PQntuples(res); r++) {
        dbuf_reset(&row);
        for (size_t c = 0; rc == 0 && c < sizeof(CSV_COLS) / sizeof(CSV_COLS[0]); c++) {
            if (c > 0)
                rc = dbuf_adds(&row, ",");
            if (rc == 0 && !PQgetisnull(res, r, CSV_COLS[c]))
                rc = csvout_field(&row, PQgetvalue(res, r, CSV_COLS[c]));
        }
        if (rc == 0)
            rc = dbuf_adds(&row, "\n");
        if (rc == 0)
            fputs(row.data, stdout);
    }
    dbuf_free(&row);
    return rc;
}

/* A bad period is the user's mistake (report.period_bounds raises 22023). */
static int
report_query_error(PGconn *conn, const PGresult *res, struct bz_error *e)
{
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (state != NULL && strcmp(state, "22023") == 0) {
        const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
        fprintf(stderr, "bizenv rank: 错误 [E_USAGE] %s\n", msg != NULL ? msg : "无效的排名期间");
        if (hint != NULL)
            fprintf(stderr, "  %s\n", hint);
        return EX_USAGE;
    }
    db_error(e, conn, res, "计算排名");
    return cli_report(e);
}

/* Parses the options; fills *period, as_of (YYYY-MM-DD) and *csv.
 * Returns 0 or EX_USAGE after printing. */
static int
parse_args(int argc, char **argv, const char **period, char as_of[16], int *csv)
{
    const char *as_of_arg = NULL, *format = "table";

    if (cli_take_opt(&argc, argv, "--as-of", &as_of_arg) < 0 ||
        cli_take_opt(&argc, argv, "--format", &format) < 0)
        return EX_USAGE;
    if (cli_no_more_options(argc, argv, "rank") != 0)
        return EX_USAGE;
    int first = (argc > 1 && strcmp(argv[1], "--") == 0) ? 2 : 1;
    if (argc - first != 1) {
        fputs(USAGE, stderr);
        return EX_USAGE;
    }
    *period = argv[first];
    if (strcmp(format, "table") == 0) {
        *csv = 0;
    } else if (strcmp(format, "csv") == 0) {
        *csv = 1;
    } else {
        fprintf(stderr, "bizenv rank: 错误 [E_USAGE] 未知输出格式“%s”（应为 table 或 csv）\n",
                format);
        return EX_USAGE;
    }
    int ymd = as_of_arg != NULL ? cli_parse_date(as_of_arg) : cli_today();
    if (ymd < 0) {
        fprintf(stderr, "bizenv rank: 错误 [E_USAGE] 无效的截至日期“%s”（应为 YYYY-MM-DD）\n",
                as_of_arg);
        return EX_USAGE;
    }
    snprintf(as_of, 16, "%04d-%02d-%02d", ymd / 10000, ymd / 100 % 100, ymd % 100);
    return 0;
}

int
cmd_rank(struct cli *cli, int argc, char **argv)
{
    struct bz_error e;
    const char *period = NULL;
    char as_of[16];
    int csv = 0, rc;
    PGconn *conn = NULL;
    PGresult *res = NULL;

    rc = parse_args(argc, argv, &period, as_of, &csv);
    if (rc != 0)
        return rc;
    bz_error_clear(&e);
    /* only reads: an analyst's role may not migrate, nor should it */
    conn = session_open_read(cli, &e);
    if (conn == NULL)
        return cli_report(&e);

    const char *params[2] = {period, as_of};
    res = PQexecParams(conn, RANK_QUERY, 2, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != COL_COUNT) {
        rc = report_query_error(conn, res, &e);
        goto out;
    }
    if (csv && print_csv(res) < 0) {
        bz_error_set(&e, E_NOMEM, "内存不足，无法写出排名");
        rc = cli_report(&e);
        goto out;
    }
    if (!csv)
        print_table(res, period, as_of);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        bz_error_set(&e, E_IO_WRITE, "无法写出排名");
        rc = cli_report(&e);
        goto out;
    }
    rc = EX_OK;
out:
    PQclear(res);
    PQfinish(conn);
    return rc;
}
