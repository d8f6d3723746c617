/*
 * xlsxpage — what every sheet of the export workbook shares, so that it
 * prints as an official table: the cell formats, a title row naming the
 * county, the period in words and the as-of date, and the print set-up
 * (A4 landscape, one page wide, the title and header rows repeated on
 * every page, a footer with the file, 第 N 页 共 M 页 and the export's
 * trace code).
 *
 * The trace code is the first 8 hex digits of the SHA-256 of the export's
 * CSV, which the export record holds (meta.export_file, report.export_log):
 * the CSV carries every figure and rank the workbook shows and is the same
 * bytes for a repeated export, so the code leads a paper copy to its record
 * and the workbook stays byte-identical. The workbook's own SHA-256 cannot
 * be printed in itself.
 *
 * Writes cells and settings only; never prints, never touches files.
 */
#ifndef BZ_XLSXPAGE_H
#define BZ_XLSXPAGE_H

#include "export_data.h"

#include <xlsxwriter.h>

/* A table of up to this many rows below its title and header is set to
 * fit one page tall as well (a county's 40 townships and then some); a
 * longer one runs on over pages one page wide. */
#define XLSXPAGE_ONE_PAGE_ROWS 48

enum xlsxpage_fmt {
    XF_TITLE,   /* the title row: bold, larger, centred */
    XF_HEAD,    /* a header cell */
    XF_PCT,     /* 96.8% */
    XF_SCORE,   /* 97.42 */
    XF_INT,     /* 3 */
    XF_DELTA,   /* +1.23 / -0.50 */
    XF_DELTA_C, /* the same, centred (a feedback page) */
    XF_CENTER,  /* short text centred (较上期) */
    XF_WRAP,    /* long text, wrapped at the column's width */
    XF_LATE,    /* 缺报: amber */
    XF_NONE,    /* 未报送: red */
    XF_SECTION, /* a section heading on a feedback page */
    XF_NOTE,    /* a note under a table */
    XF_COUNT
};

struct xlsxpage {
    lxw_workbook *wb;
    const struct export_data *d;
    lxw_format *f[XF_COUNT];
    char footer[160]; /* &L file &C 第 &P 页 共 &N 页 &R 校验码 */
};

/* Formats and the footer; trace is the CSV's SHA-256 (hex), "" for none. */
void xlsxpage_init(struct xlsxpage *p, lxw_workbook *wb, const struct export_data *d,
                   const char *trace);

/* Writes the title row (row 0, merged over ncols columns, `width` wide in
 * widths of '0'): the county, what the sheet is (`what`: 排名,
 * 反馈单·城关镇, ...), the period in words and the as-of date, on two
 * lines when one would not fit; and sets the page up: A4 landscape, one
 * page wide, one page tall too when last_row <= XLSXPAGE_ONE_PAGE_ROWS,
 * rows 0 to repeat - 1 printed on every page, the footer. */
void xlsxpage_sheet(struct xlsxpage *p, lxw_worksheet *ws, const char *what, int ncols, int width,
                    int repeat, int last_row);

/* A chart sheet of its own for one chart: one A4 landscape page with the
 * footer. Its size is stated in the file (10.2 x 6.6 in), not taken from
 * cells, so it prints the same whatever fonts set the column widths. */
void xlsxpage_chart_sheet(struct xlsxpage *p, const char *name, lxw_chart *chart);

/* The chart's title, on one line: "<county><what>　<period in words>（截至
 * <as-of>）". */
void xlsxpage_chart_title(const struct xlsxpage *p, lxw_chart *chart, const char *what);

/* Display width of UTF-8 text in widths of '0' (CJK counts two); widens
 * *width to it. */
int xlsxpage_text_width(const char *s);
void xlsxpage_fit(int *width, const char *s);

/* Column widths from fitted text widths, padded, each at most max;
 * returns their sum. */
int xlsxpage_widths(lxw_worksheet *ws, const int *width, int n, int max);

/* A number cell from SQL's exact text; NULL stays empty. */
void xlsxpage_number(lxw_worksheet *ws, int row, int col, const char *v, lxw_format *f);

/* A text cell; NULL stays empty. */
void xlsxpage_text(lxw_worksheet *ws, int row, int col, const char *v, lxw_format *f);

#endif
