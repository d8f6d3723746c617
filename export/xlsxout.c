#include "xlsxout.h"

#include "csvout.h"
#include "xlsxfeed.h"
#include "xlsxpage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xlsxwriter.h>

#define WIDTH_MAX 60
#define MISSING_MAX 22 /* 缺报月份 wraps: a year's twelve months take four lines */

/* Rows of a table sheet: the title (0), the headers (1), then the data. */
#define HEAD_ROW 1
#define FIRST_ROW 2

/* How a ranking column is written on the 排名 sheet. */
static enum xlsxpage_fmt
rank_fmt(int col)
{
    switch (col) {
    case RK_SERVICE:
    case RK_COMPLETION:
    case RK_COVERAGE:
        return XF_PCT;
    case RK_COMPOSITE:
        return XF_SCORE;
    case RK_COMPOSITE_RANK:
    case RK_SERVICE_RANK:
    case RK_COMPLETION_RANK:
    case RK_COVERAGE_RANK:
        return XF_INT;
    case RK_COMPOSITE_CHANGE:
        return XF_DELTA;
    case RK_MOVEMENT:
        return XF_CENTER;
    case RK_MISSING:
        return XF_WRAP;
    default:
        return XF_COUNT; /* plain text */
    }
}

static void
put_header(struct xlsxpage *p, lxw_worksheet *ws, int col, const char *title, int *width)
{
    worksheet_write_string(ws, HEAD_ROW, (lxw_col_t)col, title, p->f[XF_HEAD]);
    xlsxpage_fit(width, title);
}

static lxw_format *
status_format(struct xlsxpage *p, const char *status)
{
    if (status != NULL && strcmp(status, "缺报") == 0)
        return p->f[XF_LATE];
    if (status != NULL && strcmp(status, "未报送") == 0)
        return p->f[XF_NONE];
    return NULL;
}

/* Ranked rows come first (the ranking sorts unranked ones last): how many. */
static int
ranked_rows(const struct export_data *d)
{
    int n = 0;
    while (n < PQntuples(d->ranking) && !PQgetisnull(d->ranking, n, RK_COMPOSITE_RANK))
        n++;
    return n;
}

static int
column_of(int rk_col)
{
    for (int c = 0; c < csvout_ncols; c++)
        if (csvout_cols[c].col == rk_col)
            return c;
    return 0;
}

/* The note under the ranking: what 较上期 compares, and the county's
 * composite (the figure the chart's title names too). */
static void
ranking_note(struct xlsxpage *p, lxw_worksheet *ws, int row)
{
    const struct export_data *d = p->d;
    const char *county = export_data_cell(d->summary, 0, SU_COMPOSITE);
    char note[512];
    int n;
    if (d->previous[0] != '\0')
        n = snprintf(note, sizeof(note),
                     "较上期：与%s比较（两期均按截至 %s 收到的报表计算）；↑ 名次上升，↓ 名次下降，"
                     "– 名次不变，新 上期未参加排名；综合得分较上期 = 本期 − 上期。",
                     d->prev_name, d->as_of);
    else
        n = snprintf(note, sizeof(note), "较上期：无上一期间。");
    if (county != NULL && n > 0 && (size_t)n < sizeof(note))
        snprintf(note + n, sizeof(note) - (size_t)n, "全县综合得分 %s。", county);
    worksheet_merge_range(ws, (lxw_row_t)row, 0, (lxw_row_t)row, (lxw_col_t)(csvout_ncols - 1),
                          note, p->f[XF_NOTE]);
    worksheet_set_row(ws, (lxw_row_t)row, 30, NULL);
}

static void
ranking_sheet(struct xlsxpage *p)
{
    const struct export_data *d = p->d;
    lxw_worksheet *ws = workbook_add_worksheet(p->wb, "排名");
    int width[32] = {0}, n = PQntuples(d->ranking);

    for (int c = 0; c < csvout_ncols; c++)
        put_header(p, ws, c, csvout_cols[c].title, &width[c]);
    for (int r = 0; r < n; r++) {
        const char *status = export_data_cell(d->ranking, r, RK_STATUS);
        for (int c = 0; c < csvout_ncols; c++) {
            int col = csvout_cols[c].col;
            const char *v = export_data_cell(d->ranking, r, col);
            enum xlsxpage_fmt f = rank_fmt(col);
            int shown = csvout_cols[c].display >= 0 ? csvout_cols[c].display : col;
            xlsxpage_fit(&width[c], export_data_cell(d->ranking, r, shown));
            if (f == XF_PCT || f == XF_SCORE || f == XF_INT || f == XF_DELTA)
                xlsxpage_number(ws, r + FIRST_ROW, c, v, p->f[f]);
            else
                xlsxpage_text(ws, r + FIRST_ROW, c, v,
                              col == RK_STATUS ? status_format(p, status)
                              : f == XF_COUNT  ? NULL
                                               : p->f[f]);
        }
    }
    int miss = column_of(RK_MISSING);
    if (width[miss] > MISSING_MAX)
        width[miss] = MISSING_MAX; /* wrapped */
    int total = xlsxpage_widths(ws, width, csvout_ncols, WIDTH_MAX);
    worksheet_freeze_panes(ws, FIRST_ROW, 0);
    ranking_note(p, ws, n + FIRST_ROW + 1);
    xlsxpage_sheet(p, ws, "排名", csvout_ncols, total, FIRST_ROW, n + FIRST_ROW + 1);
}

/* Category labels small enough that every township's name has a line of
 * its own: a chart sheet's plot is about 380 points tall, and a line
 * takes 1.3 times the font's size (LibreOffice leaves out every other
 * label once they would touch). */
static void
category_axis(lxw_chart_axis *axis, int n)
{
    lxw_chart_font font = {0};
    double size = 380.0 / (n > 0 ? n : 1) / 1.3;
    font.size = size > 10 ? 10 : size < 5 ? 5 : (double)(int)size;
    chart_axis_set_num_font(axis, &font);
    chart_axis_set_interval_unit(axis, 1); /* a label for every township */
    chart_axis_set_reverse(axis);          /* first-ranked township on top */
}

/* 综合得分图: the composite of the ranked townships, in rank order, on a
 * sheet of its own; the county's composite in the title. */
static void
composite_chart(struct xlsxpage *p, int nranked)
{
    const char *county = export_data_cell(p->d->summary, 0, SU_COMPOSITE);
    char what[64];
    int name_col = column_of(RK_NAME), score_col = column_of(RK_COMPOSITE);
    lxw_chart *chart = workbook_add_chart(p->wb, LXW_CHART_BAR);
    lxw_chart_series *series = chart_add_series(chart, NULL, NULL);
    chart_series_set_categories(series, "排名", FIRST_ROW, (lxw_col_t)name_col,
                                (lxw_row_t)(FIRST_ROW + nranked - 1), (lxw_col_t)name_col);
    chart_series_set_values(series, "排名", FIRST_ROW, (lxw_col_t)score_col,
                            (lxw_row_t)(FIRST_ROW + nranked - 1), (lxw_col_t)score_col);
    chart_series_set_name(series, "综合得分");
    chart_series_set_labels(series);
    chart_series_set_labels_num_format(series, "0.00");
    lxw_chart_font small = {0};
    small.size = nranked <= 20 ? 9 : 7;
    chart_series_set_labels_font(series, &small);
    if (county != NULL)
        snprintf(what, sizeof(what), "各乡镇综合得分（全县 %s）", county);
    else
        snprintf(what, sizeof(what), "各乡镇综合得分");
    xlsxpage_chart_title(p, chart, what);
    chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
    category_axis(chart->y_axis, nranked);
    chart_axis_set_min(chart->x_axis, 0);
    chart_axis_set_max(chart->x_axis, 100);
    chart_set_series_gap(chart, 40);
    xlsxpage_chart_sheet(p, "综合得分图", chart);
}

/* 三项指标图: the three ranked figures side by side for each ranked
 * township, in rank order: columns, the names written top to bottom under
 * them (each its own place, however many townships). */
static void
figures_chart(struct xlsxpage *p, int nranked)
{
    static const int figures[] = {RK_SERVICE, RK_COMPLETION, RK_COVERAGE};
    int name_col = column_of(RK_NAME);
    lxw_chart *chart = workbook_add_chart(p->wb, LXW_CHART_COLUMN);
    for (int i = 0; i < 3; i++) {
        int col = column_of(figures[i]);
        lxw_chart_series *series = chart_add_series(chart, NULL, NULL);
        chart_series_set_categories(series, "排名", FIRST_ROW, (lxw_col_t)name_col,
                                    (lxw_row_t)(FIRST_ROW + nranked - 1), (lxw_col_t)name_col);
        chart_series_set_values(series, "排名", FIRST_ROW, (lxw_col_t)col,
                                (lxw_row_t)(FIRST_ROW + nranked - 1), (lxw_col_t)col);
        chart_series_set_name_range(series, "排名", HEAD_ROW, (lxw_col_t)col);
    }
    xlsxpage_chart_title(p, chart, "各乡镇三项指标");
    chart_legend_set_position(chart, LXW_CHART_LEGEND_TOP);
    lxw_chart_font font = {0};
    font.size = nranked <= 20 ? 10 : 9;
    font.rotation = 270; /* stacked: Chinese read top to bottom */
    chart_axis_set_num_font(chart->x_axis, &font);
    chart_axis_set_interval_unit(chart->x_axis, 1);
    chart_axis_set_min(chart->y_axis, 0);
    chart_axis_set_max(chart->y_axis, 1);
    chart_axis_set_num_format(chart->y_axis, "0%");
    chart_set_series_gap(chart, 50);
    xlsxpage_chart_sheet(p, "三项指标图", chart);
}

/* 明细: the counts behind each township's figures. */
static const struct {
    const char *title;
    int col;
    enum xlsxpage_fmt f; /* XF_COUNT: text */
} detail_cols[] = {
    {"乡镇代码", RK_CODE, XF_COUNT},          {"乡镇", RK_NAME, XF_COUNT},
    {"办件量", RK_HANDLED, XF_INT},           {"主动评价件数", RK_EVALUATED, XF_INT},
    {"应整改问题数", RK_DUE, XF_INT},         {"已整改问题数", RK_DONE, XF_INT},
    {"窗口数", RK_WINDOWS_LISTED, XF_INT},    {"走流程窗口数", RK_WINDOWS_WALKED, XF_INT},
    {"领导人数", RK_LEADERS_LISTED, XF_INT},  {"走流程领导人数", RK_LEADERS_WALKED, XF_INT},
    {"领导参与率", RK_PARTICIPATION, XF_PCT}, {"应报月数", RK_MONTHS_EXPECTED, XF_INT},
    {"已报月数", RK_MONTHS_REPORTED, XF_INT}, {"按时月数", RK_MONTHS_ON_TIME, XF_INT},
    {"报送率", RK_REPORTING_RATE, XF_PCT},    {"按时率", RK_ON_TIME_RATE, XF_PCT},
};
#define DETAIL_NCOLS ((int)(sizeof(detail_cols) / sizeof(detail_cols[0])))

static void
detail_sheet(struct xlsxpage *p)
{
    const struct export_data *d = p->d;
    lxw_worksheet *ws = workbook_add_worksheet(p->wb, "明细");
    int width[DETAIL_NCOLS] = {0}, n = PQntuples(d->ranking);
    for (int c = 0; c < DETAIL_NCOLS; c++)
        put_header(p, ws, c, detail_cols[c].title, &width[c]);
    for (int r = 0; r < n; r++) {
        for (int c = 0; c < DETAIL_NCOLS; c++) {
            const char *v = export_data_cell(d->ranking, r, detail_cols[c].col);
            if (detail_cols[c].f == XF_COUNT) {
                xlsxpage_fit(&width[c], v);
                xlsxpage_text(ws, r + FIRST_ROW, c, v, NULL);
            } else {
                xlsxpage_fit(&width[c], "100.0%");
                xlsxpage_number(ws, r + FIRST_ROW, c, v, p->f[detail_cols[c].f]);
            }
        }
    }
    int total = xlsxpage_widths(ws, width, DETAIL_NCOLS, WIDTH_MAX);
    worksheet_freeze_panes(ws, FIRST_ROW, 0);
    xlsxpage_sheet(p, ws, "明细", DETAIL_NCOLS, total, FIRST_ROW, n + FIRST_ROW - 1);
}

/* 汇总: one item per row; col < 0 = a value from struct export_data. */
static const struct {
    const char *title;
    int col;
    enum xlsxpage_fmt f; /* XF_COUNT: text */
} summary_rows[] = {
    {"期间", -1, XF_COUNT},
    {"截至日期", -2, XF_COUNT},
    {"县代码", -3, XF_COUNT},
    {"县名称", -4, XF_COUNT},
    {"列入乡镇数", SU_LISTED, XF_INT},
    {"应报乡镇数", SU_EXPECTED, XF_INT},
    {"已报送乡镇数", SU_REPORTED, XF_INT},
    {"报齐乡镇数", SU_COMPLETE, XF_INT},
    {"按时报送乡镇数", SU_ON_TIME, XF_INT},
    {"办件量", SU_HANDLED, XF_INT},
    {"主动评价件数", SU_EVALUATED, XF_INT},
    {"全县服务率", SU_SERVICE, XF_PCT},
    {"应整改问题数", SU_DUE, XF_INT},
    {"已整改问题数", SU_DONE, XF_INT},
    {"全县整改完成率", SU_COMPLETION, XF_PCT},
    {"走流程窗口数", SU_WALKED, XF_INT},
    {"窗口数", SU_WLISTED, XF_INT},
    {"全县走流程覆盖率", SU_COVERAGE, XF_PCT},
    {"全县综合得分", SU_COMPOSITE, XF_SCORE},
    {"服务率最高", SU_BEST_SERVICE, XF_COUNT},
    {"服务率最低", SU_WORST_SERVICE, XF_COUNT},
    {"整改完成率最高", SU_BEST_COMPLETION, XF_COUNT},
    {"整改完成率最低", SU_WORST_COMPLETION, XF_COUNT},
    {"走流程覆盖率最高", SU_BEST_COVERAGE, XF_COUNT},
    {"走流程覆盖率最低", SU_WORST_COVERAGE, XF_COUNT},
    {"综合得分最高", SU_BEST_COMPOSITE, XF_COUNT},
    {"综合得分最低", SU_WORST_COMPOSITE, XF_COUNT},
    {"拒收报送数", SU_REJECTED, XF_INT},
    {"警告数", SU_WARNINGS, XF_INT},
    {"权重：服务率", SU_W_SERVICE, XF_COUNT},
    {"权重：整改完成率", SU_W_COMPLETION, XF_COUNT},
    {"权重：走流程覆盖率", SU_W_COVERAGE, XF_COUNT},
};
#define SUMMARY_NROWS ((int)(sizeof(summary_rows) / sizeof(summary_rows[0])))

static const char *
summary_value(const struct export_data *d, int col)
{
    switch (col) {
    case -1:
        return d->period;
    case -2:
        return d->as_of;
    case -3:
        return d->county_code;
    case -4:
        return d->county_name;
    default:
        return export_data_cell(d->summary, 0, col);
    }
}

static void
summary_sheet(struct xlsxpage *p)
{
    const struct export_data *d = p->d;
    lxw_worksheet *ws = workbook_add_worksheet(p->wb, "汇总");
    int width[2] = {0, 0};
    put_header(p, ws, 0, "项目", &width[0]);
    put_header(p, ws, 1, "数值", &width[1]);
    for (int r = 0; r < SUMMARY_NROWS; r++) {
        const char *v = summary_value(d, summary_rows[r].col);
        worksheet_write_string(ws, (lxw_row_t)(r + FIRST_ROW), 0, summary_rows[r].title, NULL);
        xlsxpage_fit(&width[0], summary_rows[r].title);
        xlsxpage_fit(&width[1], v);
        if (summary_rows[r].f == XF_COUNT)
            xlsxpage_text(ws, r + FIRST_ROW, 1, v, NULL);
        else
            xlsxpage_number(ws, r + FIRST_ROW, 1, v, p->f[summary_rows[r].f]);
    }
    int total = xlsxpage_widths(ws, width, 2, WIDTH_MAX);
    worksheet_freeze_panes(ws, FIRST_ROW, 0);
    xlsxpage_sheet(p, ws, "汇总", 2, total, FIRST_ROW, SUMMARY_NROWS + FIRST_ROW - 1);
}

/* Noon of the as-of date, so the document's creation time is reproducible. */
static time_t
as_of_time(const char *as_of)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = atoi(as_of) - 1900;
    tm.tm_mon = atoi(as_of + 5) - 1;
    tm.tm_mday = atoi(as_of + 8);
    tm.tm_hour = 12;
    return timegm(&tm);
}

int
xlsxout_write(const struct export_data *d, const char *trace, const char *path, struct bz_error *e)
{
    struct xlsxpage p;
    char title[512], made_by[192];
    lxw_workbook *wb = workbook_new(path);
    if (wb == NULL)
        return bz_error_set(e, E_IO_WRITE, "无法创建工作簿“%s”", path);
    snprintf(title, sizeof(title), "%s 营商环境排名 %s（截至 %s）", d->county_name, d->period,
             d->as_of);
    lxw_doc_properties props;
    memset(&props, 0, sizeof(props));
    props.title = title;
    props.author = "bizenv";
    /* the build that made the workbook, visible in its properties */
    snprintf(made_by, sizeof(made_by), "bizenv %s", d->build);
    props.comments = made_by;
    props.created = as_of_time(d->as_of);
    workbook_set_properties(wb, &props);
    xlsxpage_init(&p, wb, d, trace);

    int nranked = ranked_rows(d);
    ranking_sheet(&p);
    if (nranked > 0) {
        composite_chart(&p, nranked);
        figures_chart(&p, nranked);
    }
    if (d->trend != NULL)
        xlsxfeed_trend(&p, nranked);
    detail_sheet(&p);
    summary_sheet(&p);
    xlsxfeed_pages(&p);
    lxw_error err = workbook_close(wb);
    if (err != LXW_NO_ERROR) {
        bz_error_set(e, E_IO_WRITE, "写入工作簿“%s”失败", path);
        return bz_error_detail(e, "%s", lxw_strerror(err));
    }
    return 0;
}
