/*
 * bizenv rank PERIOD [--as-of DATE] [--format table|csv] — print the county
 * ranking of a month, quarter, half or year (metrics.md).
 *
 * Every figure, rank and rounding comes from report.ranking (sql/report/,
 * read by load/ranking.c): this file only formats the rows and never
 * recomputes a figure. A period report.period_bounds refuses is a usage
 * error (E_USAGE). It only reads: nothing is migrated or created, and a
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
#include "../load/ranking.h"
#include "session.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

/* One escaped table cell: a township name of up to 255 bytes, escaped. */
#define TABLE_CELL_MAX 1024
/* One CSV row: twelve short fields and a name; a name of 60,000 bytes
 * would be a registry error. */
#define CSV_ROW_LIMIT (64u << 10)

static const char CSV_HEADER[] =
    "rank,code,name,service_rate,completion_rate,walk_coverage,composite,"
    "service_rank,completion_rank,coverage_rank,status,missing_months";

/* CSV columns in header order (load/ranking.h). */
static const int CSV_COLS[] = {RANKING_RANK,          RANKING_CODE,         RANKING_NAME,
                               RANKING_SERVICE,       RANKING_COMPLETION,   RANKING_COVERAGE,
                               RANKING_COMPOSITE,     RANKING_SERVICE_RANK, RANKING_COMPLETION_RANK,
                               RANKING_COVERAGE_RANK, RANKING_STATUS,       RANKING_MISSING};

/* Table columns: header, column (load/ranking.h), right-aligned. */
struct table_col {
    const char *title;
    int col;
    int right;
};
static const struct table_col TABLE_COLS[] = {
    {"排名", RANKING_RANK, 1},
    {"代码", RANKING_CODE, 0},
    {"乡镇", RANKING_NAME, 0},
    {"服务率", RANKING_SERVICE_PCT, 1},
    {"整改完成率", RANKING_COMPLETION_PCT, 1},
    {"走流程覆盖率", RANKING_COVERAGE_PCT, 1},
    {"综合得分", RANKING_COMPOSITE, 1},
    {"报送状态", RANKING_STATUS, 0},
    {"缺报月份", RANKING_MISSING, 0},
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
display_width(const char *str)
{
    const unsigned char *p = (const unsigned char *)str;
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
put_padded(const char *str, int width, int right, int last)
{
    int pad = width - display_width(str);
    if (right)
        for (int i = 0; i < pad; i++)
            putchar(' ');
    fputs(str, stdout);
    if (!right && !last)
        for (int i = 0; i < pad; i++)
            putchar(' ');
}

/* NULL (no rank, no figure) shows as "-" in the table; a name's control
 * and line-breaking characters show escaped, so a row stays one line. */
static const char *
table_cell(const struct pgutil_rows *rows, size_t row, int col, char buf[TABLE_CELL_MAX])
{
    const char *v = pgutil_rows_at(rows, row, col);
    return v == NULL ? "-" : esc_text(buf, TABLE_CELL_MAX, v);
}

static void
print_table(const struct pgutil_rows *rows, const char *period, const char *as_of)
{
    int width[TABLE_NCOLS];
    char buf[TABLE_CELL_MAX];

    for (size_t c = 0; c < TABLE_NCOLS; c++) {
        width[c] = display_width(TABLE_COLS[c].title);
        for (size_t r = 0; r < rows->n; r++) {
            int w = display_width(table_cell(rows, r, TABLE_COLS[c].col, buf));
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
    for (size_t r = 0; r < rows->n; r++) {
        for (size_t c = 0; c < TABLE_NCOLS; c++) {
            if (c > 0)
                fputs("  ", stdout);
            put_padded(table_cell(rows, r, TABLE_COLS[c].col, buf), width[c], TABLE_COLS[c].right,
                       c + 1 == TABLE_NCOLS);
        }
        putchar('\n');
    }
}

/* Each field as the export CSV writes it (export/csvout.c: RFC 4180
 * quoting, a leading ' before what a spreadsheet would take for a formula),
 * one row at a time. Returns 0, or the dbuf error for a row past its limit. */
static int
print_csv(const struct pgutil_rows *rows)
{
    struct dbuf row;
    int rc = 0;
    dbuf_init(&row, CSV_ROW_LIMIT);
    puts(CSV_HEADER);
    for (size_t r = 0; rc == 0 && r < rows->n; r++) {
        dbuf_reset(&row);
        for (size_t c = 0; rc == 0 && c < sizeof(CSV_COLS) / sizeof(CSV_COLS[0]); c++) {
            const char *v = pgutil_rows_at(rows, r, CSV_COLS[c]);
            if (c > 0)
                rc = dbuf_adds(&row, ",");
            if (rc == 0 && v != NULL)
                rc = csvout_field(&row, v);
        }
        if (rc == 0)
            rc = dbuf_adds(&row, "\n");
        if (rc == 0)
            fputs(row.data, stdout);
    }
    dbuf_free(&row);
    return rc;
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
    struct pgutil_rows rows;

    rc = parse_args(argc, argv, &period, as_of, &csv);
    if (rc != 0)
        return rc;
    bz_error_clear(&e);
    /* only reads: an analyst's role may not migrate, nor should it */
    conn = session_open_read(cli, &e);
    if (conn == NULL)
        return cli_report(&e);

    rc = ranking_read(conn, period, as_of, &rows, &e);
    PQfinish(conn);
    if (rc == BZ_EUSAGE) {
        /* the period: said as the other usage errors are, with the hint */
        fprintf(stderr, "bizenv rank: 错误 [%s] %s\n", e.code, e.message);
        if (e.detail[0] != '\0')
            fprintf(stderr, "  %s\n", e.detail);
        return cli_exit_status(rc);
    }
    if (rc < 0)
        return cli_report(&e);
    if (csv && print_csv(&rows) < 0) {
        bz_error_set(&e, E_NOMEM, "内存不足，无法写出排名");
        rc = cli_report(&e);
        goto out;
    }
    if (!csv)
        print_table(&rows, period, as_of);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        bz_error_set(&e, E_IO_WRITE, "无法写出排名");
        rc = cli_report(&e);
        goto out;
    }
    rc = EX_OK;
out:
    pgutil_rows_free(&rows);
    return rc;
}
