#include "xlsxout.h"

#include "csvout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xlsxwriter.h>

/* Excel column width is in widths of '0'; a CJK character takes about two. */
#define WIDTH_PAD 2
#define WIDTH_MAX 60

enum fmt { F_HEAD, F_PCT, F_SCORE, F_INT, F_TEXT, F_LATE, F_NONE, F_COUNT };

struct book {
    lxw_workbook *wb;
    lxw_format *f[F_COUNT];
};

/* How a ranking column is written on the 排名 sheet. */
static enum fmt
rank_fmt(int col)
{
    switch (col) {
    case RK_SERVICE:
    case RK_COMPLETION:
    case RK_COVERAGE:
        return F_PCT;
    case RK_COMPOSITE:
        return F_SCORE;
    case RK_COMPOSITE_RANK:
    case RK_SERVICE_RANK:
    case RK_COMPLETION_RANK:
    case RK_COVERAGE_RANK:
        return F_INT;
    default:
        return F_TEXT;
    }
}

/* Display width of UTF-8 text: wide (CJK, fullwidth) characters count two. */
static int
text_width(const char *s)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if ((*p & 0xC0) == 0x80)
            continue;
        w += *p >= 0xE1 ? 2 : 1; /* U+1000 and up: CJK, fullwidth forms */
    }
    return w;
}

static void
fit(int *width, const char *s)
{
    int w = s != NULL ? text_width(s) : 0;
    if (w > *width)
        *width = w;
}

static void
make_formats(struct book *b)
{
    for (int i = 0; i < F_COUNT; i++)
        b->f[i] = workbook_add_format(b->wb);
    format_set_bold(b->f[F_HEAD]);
    format_set_bg_color(b->f[F_HEAD], 0xD9E1F2);
    format_set_border(b->f[F_HEAD], LXW_BORDER_THIN);
    format_set_align(b->f[F_HEAD], LXW_ALIGN_CENTER);
    format_set_num_format(b->f[F_PCT], "0.0%");
    format_set_num_format(b->f[F_SCORE], "0.00");
    format_set_num_format(b->f[F_INT], "0");
    format_set_bg_color(b->f[F_LATE], 0xFFEB9C); /* 缺报: amber */
    format_set_font_color(b->f[F_LATE], 0x9C5700);
    format_set_bg_color(b->f[F_NONE], 0xFFC7CE); /* 未报送: red */
    format_set_font_color(b->f[F_NONE], 0x9C0006);
}

/* A number cell from SQL's exact text; NULL stays empty. */
static void
put_number(lxw_worksheet *ws, int row, int col, const char *v, lxw_format *f)
{
    if (v != NULL)
        worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col, strtod(v, NULL), f);
}

static void
put_header(struct book *b, lxw_worksheet *ws, int col, const char *title, int *width)
{
    worksheet_write_string(ws, 0, (lxw_col_t)col, title, b->f[F_HEAD]);
    fit(width, title);
}

static lxw_format *
status_format(struct book *b, const char *status)
{
    if (status != NULL && strcmp(status, "缺报") == 0)
        return b->f[F_LATE];
    if (status != NULL && strcmp(status, "未报送") == 0)
        return b->f[F_NONE];
    return NULL;
}

static void
set_widths(lxw_worksheet *ws, const int *width, int n)
{
    for (int c = 0; c < n; c++) {
        int w = width[c] + WIDTH_PAD;
        worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, w > WIDTH_MAX ? WIDTH_MAX : w, NULL);
    }
}

static void
add_chart(struct book *b, lxw_worksheet *ws, int nrows, int name_col, int score_col)
{
    if (nrows == 0)
        return;
    lxw_chart *chart = workbook_add_chart(b->wb, LXW_CHART_BAR);
    lxw_chart_series *series = chart_add_series(chart, NULL, NULL);
    chart_series_set_categories(series, "排名", 1, (lxw_col_t)name_col, (lxw_row_t)nrows,
                                (lxw_col_t)name_col);
    chart_series_set_values(series, "排名", 1, (lxw_col_t)score_col, (lxw_row_t)nrows,
                            (lxw_col_t)score_col);
    chart_series_set_name(series, "综合得分");
    chart_title_set_name(chart, "各乡镇综合得分");
    chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
    chart_axis_set_reverse(chart->y_axis); /* first-ranked township on top */
    chart_axis_set_min(chart->x_axis, 0);
    chart_axis_set_max(chart->x_axis, 100);
    lxw_chart_options opt = {0};
    opt.x_scale = 1.5;
    opt.y_scale = nrows > 10 ? 1.0 + (nrows - 10) * 0.08 : 1.0;
    worksheet_insert_chart_opt(ws, 1, (lxw_col_t)(csvout_ncols + 1), chart, &opt);
}

static void
ranking_sheet(struct book *b, const struct export_data *d)
{
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, "排名");
    int width[32] = {0};
    int name_col = 0, score_col = 0, n = PQntuples(d->ranking);

    for (int c = 0; c < csvout_ncols; c++) {
        put_header(b, ws, c, csvout_cols[c].title, &width[c]);
        if (csvout_cols[c].col == RK_NAME)
            name_col = c;
        if (csvout_cols[c].col == RK_COMPOSITE)
            score_col = c;
    }
    for (int r = 0; r < n; r++) {
        const char *status = export_data_cell(d->ranking, r, RK_STATUS);
        for (int c = 0; c < csvout_ncols; c++) {
            int col = csvout_cols[c].col;
            const char *v = export_data_cell(d->ranking, r, col);
            enum fmt f = rank_fmt(col);
            int shown = csvout_cols[c].display >= 0 ? csvout_cols[c].display : col;
            fit(&width[c], export_data_cell(d->ranking, r, shown));
            if (f != F_TEXT)
                put_number(ws, r + 1, c, v, b->f[f]);
            else if (v != NULL)
                worksheet_write_string(ws, (lxw_row_t)(r + 1), (lxw_col_t)c, v,
                                       col == RK_STATUS ? status_format(b, status) : NULL);
        }
    }
    set_widths(ws, width, csvout_ncols);
    worksheet_freeze_panes(ws, 1, 0);
    add_chart(b, ws, n, name_col, score_col);
}

/* 明细: the counts behind each township's figures. */
static const struct {
    const char *title;
    int col;
    enum fmt f;
} detail_cols[] = {
    {"乡镇代码", RK_CODE, F_TEXT},           {"乡镇", RK_NAME, F_TEXT},
    {"办件量", RK_HANDLED, F_INT},           {"主动评价件数", RK_EVALUATED, F_INT},
    {"应整改问题数", RK_DUE, F_INT},         {"已整改问题数", RK_DONE, F_INT},
    {"窗口数", RK_WINDOWS_LISTED, F_INT},    {"走流程窗口数", RK_WINDOWS_WALKED, F_INT},
    {"领导人数", RK_LEADERS_LISTED, F_INT},  {"走流程领导人数", RK_LEADERS_WALKED, F_INT},
    {"领导参与率", RK_PARTICIPATION, F_PCT}, {"应报月数", RK_MONTHS_EXPECTED, F_INT},
    {"已报月数", RK_MONTHS_REPORTED, F_INT}, {"按时月数", RK_MONTHS_ON_TIME, F_INT},
    {"报送率", RK_REPORTING_RATE, F_PCT},    {"按时率", RK_ON_TIME_RATE, F_PCT},
};
#define DETAIL_NCOLS ((int)(sizeof(detail_cols) / sizeof(detail_cols[0])))

static void
detail_sheet(struct book *b, const struct export_data *d)
{
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, "明细");
    int width[DETAIL_NCOLS] = {0};
    for (int c = 0; c < DETAIL_NCOLS; c++)
        put_header(b, ws, c, detail_cols[c].title, &width[c]);
    for (int r = 0; r < PQntuples(d->ranking); r++) {
        for (int c = 0; c < DETAIL_NCOLS; c++) {
            const char *v = export_data_cell(d->ranking, r, detail_cols[c].col);
            if (detail_cols[c].f == F_TEXT) {
                fit(&width[c], v);
                if (v != NULL)
                    worksheet_write_string(ws, (lxw_row_t)(r + 1), (lxw_col_t)c, v, NULL);
            } else {
                fit(&width[c], "100.0%");
                put_number(ws, r + 1, c, v, b->f[detail_cols[c].f]);
            }
        }
    }
    set_widths(ws, width, DETAIL_NCOLS);
    worksheet_freeze_panes(ws, 1, 0);
}

/* 汇总: one item per row; col < 0 = a value from struct export_data. */
static const struct {
    const char *title;
    int col;
    enum fmt f;
} summary_rows[] = {
    {"期间", -1, F_TEXT},
    {"截至日期", -2, F_TEXT},
    {"县代码", -3, F_TEXT},
    {"县名称", -4, F_TEXT},
    {"列入乡镇数", SU_LISTED, F_INT},
    {"应报乡镇数", SU_EXPECTED, F_INT},
    {"已报送乡镇数", SU_REPORTED, F_INT},
    {"报齐乡镇数", SU_COMPLETE, F_INT},
    {"按时报送乡镇数", SU_ON_TIME, F_INT},
    {"办件量", SU_HANDLED, F_INT},
    {"主动评价件数", SU_EVALUATED, F_INT},
    {"全县服务率", SU_SERVICE, F_PCT},
    {"应整改问题数", SU_DUE, F_INT},
    {"已整改问题数", SU_DONE, F_INT},
    {"全县整改完成率", SU_COMPLETION, F_PCT},
    {"走流程窗口数", SU_WALKED, F_INT},
    {"窗口数", SU_WLISTED, F_INT},
    {"全县走流程覆盖率", SU_COVERAGE, F_PCT},
    {"全县综合得分", SU_COMPOSITE, F_SCORE},
    {"服务率最高", SU_BEST_SERVICE, F_TEXT},
    {"服务率最低", SU_WORST_SERVICE, F_TEXT},
    {"整改完成率最高", SU_BEST_COMPLETION, F_TEXT},
    {"整改完成率最低", SU_WORST_COMPLETION, F_TEXT},
    {"走流程覆盖率最高", SU_BEST_COVERAGE, F_TEXT},
    {"走流程覆盖率最低", SU_WORST_COVERAGE, F_TEXT},
    {"综合得分最高", SU_BEST_COMPOSITE, F_TEXT},
    {"综合得分最低", SU_WORST_COMPOSITE, F_TEXT},
    {"拒收报送数", SU_REJECTED, F_INT},
    {"警告数", SU_WARNINGS, F_INT},
    {"权重：服务率", SU_W_SERVICE, F_TEXT},
    {"权重：整改完成率", SU_W_COMPLETION, F_TEXT},
    {"权重：走流程覆盖率", SU_W_COVERAGE, F_TEXT},
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
summary_sheet(struct book *b, const struct export_data *d)
{
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, "汇总");
    int width[2] = {0, 0};
    put_header(b, ws, 0, "项目", &width[0]);
    put_header(b, ws, 1, "数值", &width[1]);
    for (int r = 0; r < SUMMARY_NROWS; r++) {
        const char *v = summary_value(d, summary_rows[r].col);
        worksheet_write_string(ws, (lxw_row_t)(r + 1), 0, summary_rows[r].title, NULL);
        fit(&width[0], summary_rows[r].title);
        fit(&width[1], v);
        if (summary_rows[r].f == F_TEXT) {
            if (v != NULL)
                worksheet_write_string(ws, (lxw_row_t)(r + 1), 1, v, NULL);
        } else {
            put_number(ws, r + 1, 1, v, b->f[summary_rows[r].f]);
        }
    }
    set_widths(ws, width, 2);
    worksheet_freeze_panes(ws, 1, 0);
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
xlsxout_write(const struct export_data *d, const char *path, struct bz_error *e)
{
    struct book b;
    char title[256], made_by[192];
    memset(&b, 0, sizeof(b));
    b.wb = workbook_new(path);
    if (b.wb == NULL)
        return bz_error_set(e, BZ_EIO, "E_IO_WRITE", "无法创建工作簿“%s”", path);
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
    workbook_set_properties(b.wb, &props);
    make_formats(&b);
    ranking_sheet(&b, d);
    detail_sheet(&b, d);
    summary_sheet(&b, d);
    lxw_error err = workbook_close(b.wb);
    if (err != LXW_NO_ERROR) {
        bz_error_set(e, BZ_EIO, "E_IO_WRITE", "写入工作簿“%s”失败", path);
        return bz_error_detail(e, "%s", lxw_strerror(err));
    }
    return 0;
}
