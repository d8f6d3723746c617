#include "xlsxfeed.h"

#include "../common/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TREND_FIRST 2 /* title row, header row, then one row per township */
#define TREND_MONTH_COL 2

/* Months of the trend: the rows of its first township (report.ranking_trend
 * gives every township every month, in the same order). */
static int
trend_months(const PGresult *t)
{
    int n = 0, rows = PQntuples(t);
    while (n < rows && strcmp(PQgetvalue(t, n, TR_CODE), PQgetvalue(t, 0, TR_CODE)) == 0)
        n++;
    return n;
}

static void
trend_chart(struct xlsxpage *p, int nranked, int nmonths)
{
    lxw_chart *chart = workbook_add_chart(p->wb, LXW_CHART_LINE);
    for (int r = 0; r < nranked; r++) {
        lxw_chart_series *s = chart_add_series(chart, NULL, NULL);
        lxw_row_t row = (lxw_row_t)(TREND_FIRST + r);
        chart_series_set_categories(s, "趋势", 1, TREND_MONTH_COL, 1,
                                    (lxw_col_t)(TREND_MONTH_COL + nmonths - 1));
        chart_series_set_values(s, "趋势", row, TREND_MONTH_COL, row,
                                (lxw_col_t)(TREND_MONTH_COL + nmonths - 1));
        chart_series_set_name_range(s, "趋势", row, 1);
        chart_series_set_marker_type(s, LXW_CHART_MARKER_AUTOMATIC);
    }
    xlsxpage_chart_title(p, chart, "各乡镇综合得分逐月趋势");
    lxw_chart_font font = {0};
    font.size = nranked <= 20 ? 9 : 7;
    chart_legend_set_font(chart, &font);
    chart_legend_set_position(chart, LXW_CHART_LEGEND_RIGHT);
    chart_axis_set_name(chart->y_axis, "综合得分");
    xlsxpage_chart_sheet(p, "趋势图", chart);
}

void
xlsxfeed_trend(struct xlsxpage *p, int nranked)
{
    const struct export_data *d = p->d;
    const PGresult *t = d->trend;
    int rows = PQntuples(t), nmonths = rows > 0 ? trend_months(t) : 0;
    int ntowns = nmonths > 0 ? rows / nmonths : 0;
    lxw_worksheet *ws = workbook_add_worksheet(p->wb, "趋势");
    int width[2 + 12] = {0};

    worksheet_write_string(ws, 1, 0, "本期排名", p->f[XF_HEAD]);
    worksheet_write_string(ws, 1, 1, "乡镇", p->f[XF_HEAD]);
    xlsxpage_fit(&width[0], "本期排名");
    xlsxpage_fit(&width[1], "乡镇");
    for (int m = 0; m < nmonths && m < 12; m++) {
        char label[16];
        snprintf(label, sizeof(label), "%d月", atoi(PQgetvalue(t, m, TR_MONTH) + 5));
        worksheet_write_string(ws, 1, (lxw_col_t)(TREND_MONTH_COL + m), label, p->f[XF_HEAD]);
        xlsxpage_fit(&width[TREND_MONTH_COL + m], "100.00");
    }
    for (int r = 0; r < ntowns; r++) {
        int row = TREND_FIRST + r, first = r * nmonths;
        const char *code = PQgetvalue(t, first, TR_CODE);
        /* the period's rank, from the ranking row of the same township
         * (both are in the period's ranking order) */
        if (r < PQntuples(d->ranking) && strcmp(code, PQgetvalue(d->ranking, r, RK_CODE)) == 0)
            xlsxpage_number(ws, row, 0, export_data_cell(d->ranking, r, RK_COMPOSITE_RANK),
                            p->f[XF_INT]);
        xlsxpage_text(ws, row, 1, PQgetvalue(t, first, TR_NAME), NULL);
        xlsxpage_fit(&width[1], PQgetvalue(t, first, TR_NAME));
        for (int m = 0; m < nmonths && m < 12; m++)
            xlsxpage_number(ws, row, TREND_MONTH_COL + m,
                            export_data_cell(t, first + m, TR_COMPOSITE), p->f[XF_SCORE]);
    }
    int ncols = TREND_MONTH_COL + (nmonths < 12 ? nmonths : 12);
    int total = xlsxpage_widths(ws, width, ncols, 40);
    worksheet_freeze_panes(ws, TREND_FIRST, TREND_MONTH_COL);
    xlsxpage_sheet(p, ws, "逐月趋势", ncols, total, TREND_FIRST, TREND_FIRST + ntowns - 1);
    if (nranked > 0 && nmonths > 0 && nranked <= ntowns)
        trend_chart(p, nranked, nmonths < 12 ? nmonths : 12);
}

/* --- 反馈单 ------------------------------------------------------------- */

/* Columns A-F of a feedback page, in widths of '0'. */
static const int page_widths[] = {16, 14, 12, 14, 18, 56};
#define PAGE_NCOLS 6

struct page {
    struct xlsxpage *p;
    lxw_worksheet *ws;
    int r;   /* ranking row */
    int row; /* next sheet row */
};

static void
section(struct page *g, const char *title)
{
    g->row++;
    worksheet_merge_range(g->ws, (lxw_row_t)g->row, 0, (lxw_row_t)g->row, PAGE_NCOLS - 1, title,
                          g->p->f[XF_SECTION]);
    g->row++;
}

static void
headers(struct page *g, const char *const *titles, int n)
{
    for (int c = 0; c < n; c++)
        if (titles[c] != NULL)
            worksheet_write_string(g->ws, (lxw_row_t)g->row, (lxw_col_t)c, titles[c],
                                   g->p->f[XF_HEAD]);
    g->row++;
}

static const char *
rank_cell(const struct page *g, int col)
{
    return export_data_cell(g->p->d->ranking, g->r, col);
}

/* One figure: its value, its rank, the county's. */
static void
figure_row(struct page *g, const char *label, int col, int rank_col, int county_col,
           enum xlsxpage_fmt f)
{
    lxw_format *const *fm = g->p->f;
    worksheet_write_string(g->ws, (lxw_row_t)g->row, 0, label, NULL);
    xlsxpage_number(g->ws, g->row, 1, rank_cell(g, col), fm[f]);
    xlsxpage_number(g->ws, g->row, 2, rank_cell(g, rank_col), fm[XF_INT]);
    xlsxpage_number(g->ws, g->row, 3, export_data_cell(g->p->d->summary, 0, county_col), fm[f]);
    g->row++;
}

static void
figures(struct page *g)
{
    static const char *const head[] = {"指标",     "本乡镇", "排名",
                                       "全县平均", "较上期", "综合得分较上期"};
    lxw_format *const *fm = g->p->f;
    headers(g, head, PAGE_NCOLS);
    figure_row(g, "服务率", RK_SERVICE, RK_SERVICE_RANK, SU_SERVICE, XF_PCT);
    figure_row(g, "整改完成率", RK_COMPLETION, RK_COMPLETION_RANK, SU_COMPLETION, XF_PCT);
    figure_row(g, "走流程覆盖率", RK_COVERAGE, RK_COVERAGE_RANK, SU_COVERAGE, XF_PCT);
    figure_row(g, "综合得分", RK_COMPOSITE, RK_COMPOSITE_RANK, SU_COMPOSITE, XF_SCORE);
    /* the composite's row also carries the movement since the previous period */
    xlsxpage_text(g->ws, g->row - 1, 4, rank_cell(g, RK_MOVEMENT), fm[XF_CENTER]);
    xlsxpage_number(g->ws, g->row - 1, 5, rank_cell(g, RK_COMPOSITE_CHANGE), fm[XF_DELTA_C]);
    worksheet_write_string(g->ws, (lxw_row_t)g->row, 0, "报送率", NULL);
    xlsxpage_number(g->ws, g->row, 1, rank_cell(g, RK_REPORTING_RATE), fm[XF_PCT]);
    g->row++;
    worksheet_write_string(g->ws, (lxw_row_t)g->row, 0, "按时报送率", NULL);
    xlsxpage_number(g->ws, g->row, 1, rank_cell(g, RK_ON_TIME_RATE), fm[XF_PCT]);
    g->row++;
    const char *missing = rank_cell(g, RK_MISSING);
    worksheet_write_string(g->ws, (lxw_row_t)g->row, 0, "缺报月份", NULL);
    worksheet_merge_range(g->ws, (lxw_row_t)g->row, 1, (lxw_row_t)g->row, PAGE_NCOLS - 1,
                          missing != NULL && missing[0] != '\0' ? missing : "无", NULL);
    g->row++;
}

/* The rows of res whose column 0 is code (res is in code order). */
static int
rows_of(const PGresult *res, const char *code, int *first)
{
    int n = PQntuples(res), i = 0;
    while (i < n && strcmp(PQgetvalue(res, i, 0), code) != 0)
        i++;
    *first = i;
    while (i < n && strcmp(PQgetvalue(res, i, 0), code) == 0)
        i++;
    return i - *first;
}

static void
none_row(struct page *g)
{
    worksheet_write_string(g->ws, (lxw_row_t)g->row, 0, "无", NULL);
    g->row++;
}

static void
problems(struct page *g, const char *code)
{
    static const char *const head[] = {"问题编号", "来源", "发现日期",
                                       "整改期限", "状态", "问题描述"};
    static const int cols[] = {PB_ID, PB_SOURCE, PB_FOUND, PB_DEADLINE, PB_STATUS, PB_DESCRIPTION};
    const PGresult *res = g->p->d->problems;
    int first, n = rows_of(res, code, &first);
    section(g, "尚未整改的问题（期末前发现、期末前未整改完成）");
    headers(g, head, PAGE_NCOLS);
    for (int i = first; i < first + n; i++, g->row++)
        for (int c = 0; c < PAGE_NCOLS; c++)
            xlsxpage_text(g->ws, g->row, c, export_data_cell(res, i, cols[c]),
                          c == PAGE_NCOLS - 1 ? g->p->f[XF_WRAP] : NULL);
    if (n == 0)
        none_row(g);
}

static void
warnings(struct page *g, const char *code)
{
    static const char *const head[] = {"月份", "版本", "代码", NULL, NULL, "警告内容"};
    const PGresult *res = g->p->d->warnings;
    int first, n = rows_of(res, code, &first);
    section(g, "报送警告（本期计入排名的报表）");
    headers(g, head, PAGE_NCOLS);
    worksheet_merge_range(g->ws, (lxw_row_t)(g->row - 1), 2, (lxw_row_t)(g->row - 1), 4, "代码",
                          g->p->f[XF_HEAD]);
    for (int i = first; i < first + n; i++, g->row++) {
        xlsxpage_text(g->ws, g->row, 0, export_data_cell(res, i, WN_MONTH), NULL);
        xlsxpage_text(g->ws, g->row, 1, export_data_cell(res, i, WN_REVISION), NULL);
        worksheet_merge_range(g->ws, (lxw_row_t)g->row, 2, (lxw_row_t)g->row, 4,
                              PQgetvalue(res, i, WN_WARNING), NULL);
        xlsxpage_text(g->ws, g->row, 5, export_data_cell(res, i, WN_MESSAGE), g->p->f[XF_WRAP]);
    }
    if (n == 0)
        none_row(g);
}

/* The township's name when it can name a sheet, else its code. Excel
 * refuses a control character in a sheet's name (libxlsxwriter lets it
 * through). */
static const char *
sheet_name(struct xlsxpage *p, const char *name, const char *code)
{
    int control = 0;
    for (const unsigned char *c = (const unsigned char *)name; *c != '\0'; c++)
        control |= *c < 0x20 || *c == 0x7F;
    if (!control && workbook_validate_sheet_name(p->wb, name) == LXW_NO_ERROR)
        return name;
    if (workbook_validate_sheet_name(p->wb, code) == LXW_NO_ERROR)
        return code;
    return NULL; /* a code already naming a sheet: libxlsxwriter numbers it */
}

static void
page(struct xlsxpage *p, int r)
{
    const struct export_data *d = p->d;
    const char *code = PQgetvalue(d->ranking, r, RK_CODE);
    const char *name = PQgetvalue(d->ranking, r, RK_NAME);
    char what[256], who[512];
    struct page g = {p, NULL, r, 1};
    g.ws = workbook_add_worksheet(p->wb, sheet_name(p, name, code));

    snprintf(who, sizeof(who), "乡镇：%s（%s）　报送状态：%s", name, code,
             PQgetvalue(d->ranking, r, RK_STATUS));
    bz_utf8_cut(who);
    worksheet_merge_range(g.ws, 1, 0, 1, PAGE_NCOLS - 1, who, NULL);
    g.row = 3;
    figures(&g);
    problems(&g, code);
    warnings(&g, code);
    int total = 0;
    for (int c = 0; c < PAGE_NCOLS; c++) {
        worksheet_set_column(g.ws, (lxw_col_t)c, (lxw_col_t)c, page_widths[c], NULL);
        total += page_widths[c];
    }
    snprintf(what, sizeof(what), "反馈单·%s", name);
    bz_utf8_cut(what);
    xlsxpage_sheet(p, g.ws, what, PAGE_NCOLS, total, 2, g.row - 1);
}

void
xlsxfeed_pages(struct xlsxpage *p)
{
    for (int r = 0; r < PQntuples(p->d->ranking); r++)
        page(p, r);
}
