#include "template.h"

#include "../common/dbuf.h"
#include "../ingest/inbox.h"
#include "../load/db.h"
#include "../load/pgutil.h"
#include "../transform/fields.h"
#include "../transform/wblayout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>

/* Rows of each list sheet given data validation: far more than a month's
 * walks or problems; rows below still read, only without the dropdowns. */
#define LIST_ROWS 2000

static const char sql_base[] = "SELECT * FROM load.workbook_base($1::date, $2::text[])";
static const char sql_open[] = "SELECT * FROM load.workbook_open_problems($1::date, $2::text[])";
static const char sql_names[] = "SELECT * FROM load.workbook_window_names()";
static const char *const sql_rows[] = {
    "SELECT * FROM load.workbook_submission($1::bigint[])",
    "SELECT * FROM load.workbook_windows($1::bigint[])",
    "SELECT * FROM load.workbook_leaders($1::bigint[])",
    "SELECT * FROM load.workbook_walks($1::bigint[])",
    "SELECT * FROM load.workbook_problems($1::bigint[])",
    "SELECT * FROM load.workbook_texts($1::bigint[])",
};
enum { R_SUB, R_WINDOWS, R_LEADERS, R_WALKS, R_PROBLEMS, R_TEXTS, R_N };

enum fmt {
    F_TITLE,
    F_GUIDE,
    F_HEAD,
    F_LABEL,
    F_HINT,
    F_FIXED,
    F_FIXED_DATE,
    F_TEXT,
    F_COUNT,
    F_RATE,
    F_DATE,
    F_DATETIME,
    F_N
};

struct job {
    PGconn *conn;
    const struct settings *s;
    const struct template_opts *o;
    struct bz_error *e;
    int year, month, last_day;
    char period_date[16]; /* YYYY-MM-01 */
    PGresult *base, *open, *names, *rows[R_N];
    char **catalog; /* window names for the dropdown, NULL-ended */
    lxw_workbook *wb;
    lxw_format *f[F_N];
};

/* One township's workbook as it is being written. */
struct town {
    int row; /* in job.base */
    const char *code, *name, *deadline;
    const char *source_id;     /* the submission pre-filled from, NULL when none */
    const char *source_sha256; /* its document SHA-256 ("" when none) */
    const char *source_period; /* its month (YYYY-MM-DD, "" when none) */
    long revision;             /* the workbook's */
};

/* ---- results --------------------------------------------------------------- */

static const char *
cell(const PGresult *res, int row, const char *col)
{
    int c = PQfnumber(res, col);
    if (c < 0 || row < 0 || row >= PQntuples(res) || PQgetisnull(res, row, c))
        return NULL;
    return PQgetvalue(res, row, c);
}

static const char *
text(const PGresult *res, int row, const char *col)
{
    const char *v = cell(res, row, col);
    return v ? v : "";
}

/* The rows [*lo, *hi) of res whose `col` equals key; res is ordered by col
 * (numerically when numeric). */
static void
rows_of(const PGresult *res, const char *col, const char *key, int numeric, int *lo, int *hi)
{
    int n = PQntuples(res), a = 0, b = n;
    long long k = numeric ? strtoll(key, NULL, 10) : 0;
    while (a < b) {
        int mid = a + (b - a) / 2;
        const char *v = text(res, mid, col);
        int c =
            numeric ? (strtoll(v, NULL, 10) < k ? -1 : strtoll(v, NULL, 10) > k) : strcmp(v, key);
        if (c < 0)
            a = mid + 1;
        else
            b = mid;
    }
    *lo = a;
    while (a < n && (numeric ? strtoll(text(res, a, col), NULL, 10) == k
                             : strcmp(text(res, a, col), key) == 0))
        a++;
    *hi = a;
}

static int
query(struct job *j, PGresult **out, const char *sql, int n, const char *const *v, const char *what)
{
    *out = PQexecParams(j->conn, sql, n, NULL, v, NULL, NULL, 0);
    if (PQresultStatus(*out) != PGRES_TUPLES_OK)
        return db_error(j->e, j->conn, *out, what);
    return 0;
}

/* ---- formats and cells ------------------------------------------------------ */

static void
make_formats(struct job *j)
{
    for (int i = 0; i < F_N; i++)
        j->f[i] = workbook_add_format(j->wb);
    format_set_bold(j->f[F_TITLE]);
    format_set_font_size(j->f[F_TITLE], 14);
    format_set_text_wrap(j->f[F_GUIDE]);
    format_set_align(j->f[F_GUIDE], LXW_ALIGN_VERTICAL_TOP);
    format_set_bold(j->f[F_HEAD]);
    format_set_bg_color(j->f[F_HEAD], 0xD9E1F2);
    format_set_border(j->f[F_HEAD], LXW_BORDER_THIN);
    format_set_align(j->f[F_HEAD], LXW_ALIGN_CENTER);
    format_set_text_wrap(j->f[F_LABEL]);
    format_set_text_wrap(j->f[F_HINT]);
    format_set_font_color(j->f[F_HINT], 0x7F7F7F);
    format_set_num_format(j->f[F_FIXED], "@");
    format_set_bg_color(j->f[F_FIXED], 0xEDEDED);
    format_set_num_format(j->f[F_FIXED_DATE], "yyyy-mm-dd");
    format_set_bg_color(j->f[F_FIXED_DATE], 0xEDEDED);
    /* what the township fills in is unlocked; text cells keep what is
     * typed as text (an id "01" or a phone number stays as written) */
    static const struct {
        enum fmt f;
        const char *num;
    } in[] = {{F_TEXT, "@"},
              {F_COUNT, "0"},
              {F_RATE, "General"},
              {F_DATE, "yyyy-mm-dd"},
              {F_DATETIME, "yyyy-mm-dd hh:mm"}};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        format_set_unlocked(j->f[in[i].f]);
        format_set_num_format(j->f[in[i].f], in[i].num);
        format_set_bg_color(j->f[in[i].f], 0xFFF9E5);
        format_set_border(j->f[in[i].f], LXW_BORDER_HAIR);
    }
}

static lxw_format *
kind_format(struct job *j, enum wb_kind k)
{
    switch (k) {
    case WBK_COUNT:
    case WBK_COUNT_APPROX:
        return j->f[F_COUNT];
    case WBK_RATE:
        return j->f[F_RATE];
    case WBK_DATE:
        return j->f[F_DATE];
    case WBK_DATETIME:
        return j->f[F_DATETIME];
    case WBK_FIXED:
        return j->f[F_FIXED];
    default:
        return j->f[F_TEXT];
    }
}

/* "2026-10-09" or "2026-10-09 09:30:00" as a date cell. */
static void
put_date(lxw_worksheet *ws, int row, int col, const char *v, lxw_format *f)
{
    lxw_datetime dt;
    memset(&dt, 0, sizeof(dt));
    if (v == NULL || sscanf(v, "%4d-%2d-%2d", &dt.year, &dt.month, &dt.day) != 3) {
        worksheet_write_blank(ws, (lxw_row_t)row, (lxw_col_t)col, f);
        return;
    }
    int h = 0, m = 0, s = 0;
    if (strlen(v) > 10 && sscanf(v + 11, "%2d:%2d:%2d", &h, &m, &s) >= 2) {
        dt.hour = h;
        dt.min = m;
        dt.sec = s;
    }
    worksheet_write_datetime(ws, (lxw_row_t)row, (lxw_col_t)col, &dt, f);
}

static void
put_text(lxw_worksheet *ws, int row, int col, const char *v, lxw_format *f)
{
    if (v == NULL || v[0] == '\0')
        worksheet_write_blank(ws, (lxw_row_t)row, (lxw_col_t)col, f);
    else
        worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, v, f);
}

static void
put_count(lxw_worksheet *ws, int row, int col, const char *v, int approx, lxw_format *f)
{
    char buf[40];
    if (v == NULL) {
        worksheet_write_blank(ws, (lxw_row_t)row, (lxw_col_t)col, f);
    } else if (approx) {
        snprintf(buf, sizeof(buf), "%s余", v);
        worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, buf, f);
    } else {
        worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col, strtod(v, NULL), f);
    }
}

/* The Chinese label of a format value (principal -> 主要领导). */
static const char *
choice_label(enum wb_kind k, const char *value)
{
    size_t n;
    const struct wb_choice *c = wblayout_choices(k, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(c[i].value, value) == 0)
            return c[i].label;
    return value;
}

/* ---- data validation -------------------------------------------------------- */

static void
input_message(lxw_data_validation *v, const char *title, const char *hint)
{
    v->input_title = (char *)title;
    v->input_message = (char *)hint;
}

static void
validate_range(lxw_worksheet *ws, int r0, int r1, int col, lxw_data_validation *v)
{
    worksheet_data_validation_range(ws, (lxw_row_t)r0, (lxw_col_t)col, (lxw_row_t)r1,
                                    (lxw_col_t)col, v);
}

static lxw_datetime
day(int y, int m, int d)
{
    lxw_datetime t;
    memset(&t, 0, sizeof(t));
    t.year = y;
    t.month = m;
    t.day = d;
    return t;
}

/* The validation of one kind of cell, for rows r0..r1 of a column. */
static void
validate_kind(struct job *j, lxw_worksheet *ws, int r0, int r1, int col, enum wb_kind k,
              const char *label, const char *hint, int month_only)
{
    lxw_data_validation v;
    char *list[8];
    memset(&v, 0, sizeof(v));
    input_message(&v, NULL, hint);
    (void)label;
    switch (k) {
    case WBK_COUNT:
        v.validate = LXW_VALIDATION_TYPE_INTEGER;
        v.criteria = LXW_VALIDATION_CRITERIA_BETWEEN;
        v.minimum_number = 0;
        v.maximum_number = 999999999;
        v.error_message = "请填写 0 以上的整数（没有请填 0）";
        break;
    case WBK_RATE:
        v.validate = LXW_VALIDATION_TYPE_DECIMAL;
        v.criteria = LXW_VALIDATION_CRITERIA_BETWEEN;
        v.minimum_number = 0;
        v.maximum_number = 100;
        v.error_message = "请填写 0 到 100 之间的数";
        break;
    case WBK_DATE:
    case WBK_DATETIME:
        v.validate = LXW_VALIDATION_TYPE_DATE;
        if (month_only == 1) {
            v.criteria = LXW_VALIDATION_CRITERIA_BETWEEN;
            v.minimum_datetime = day(j->year, j->month, 1);
            v.maximum_datetime = day(j->year, j->month, j->last_day);
            v.error_message = "请填写本月内的日期";
        } else if (month_only == 2) {
            v.criteria = LXW_VALIDATION_CRITERIA_LESS_THAN_OR_EQUAL_TO;
            v.value_datetime = day(j->year, j->month, j->last_day);
            v.error_message = "日期不能晚于本月最后一天";
        } else if (month_only == 3) {
            v.criteria = LXW_VALIDATION_CRITERIA_GREATER_THAN_OR_EQUAL_TO;
            v.value_datetime = day(j->year, j->month, 1);
            v.error_message = "日期不能早于报送月份";
        } else {
            v.criteria = LXW_VALIDATION_CRITERIA_GREATER_THAN_OR_EQUAL_TO;
            v.value_datetime = day(1990, 1, 1);
            v.error_message = "请填写日期，如 2026-11-09";
        }
        break;
    case WBK_ROLE:
    case WBK_SOURCE:
    case WBK_STATUS:
    case WBK_TEXTKIND: {
        size_t n;
        const struct wb_choice *c = wblayout_choices(k, &n);
        for (size_t i = 0; i < n && i < 7; i++)
            list[i] = (char *)c[i].label;
        list[n < 7 ? n : 7] = NULL;
        v.validate = LXW_VALIDATION_TYPE_LIST;
        v.value_list = list;
        v.error_message = "请从下拉列表中选择";
        break;
    }
    default:
        v.validate = LXW_VALIDATION_TYPE_ANY;
        break;
    }
    validate_range(ws, r0, r1, col, &v);
}

/* A dropdown over a column of another sheet of this workbook. */
static void
validate_ref(lxw_worksheet *ws, int col, const char *sheet, const char *hint)
{
    lxw_data_validation v;
    char formula[128];
    memset(&v, 0, sizeof(v));
    snprintf(formula, sizeof(formula), "='%s'!$B$2:$B$%d", sheet, LIST_ROWS + 1);
    v.validate = LXW_VALIDATION_TYPE_LIST_FORMULA;
    v.value_formula = formula;
    v.error_message = "请从下拉列表中选择";
    input_message(&v, NULL, hint);
    validate_range(ws, 1, LIST_ROWS, col, &v);
}

/* ---- sheets ------------------------------------------------------------------ */

static void
protect(lxw_worksheet *ws, int list)
{
    lxw_protection p;
    memset(&p, 0, sizeof(p));
    p.format_columns = 1; /* allowed: the township may widen a column */
    p.format_rows = 1;
    if (list) {
        p.insert_rows = 1;
        p.delete_rows = 1;
    }
    worksheet_protect(ws, NULL, &p);
}

static void
guide_sheet(struct job *j, const struct town *t, lxw_worksheet *ws)
{
    char line[1024];
    int r = 0;
    worksheet_set_column(ws, 0, 0, 110, j->f[F_GUIDE]);
    snprintf(line, sizeof(line), "%s %d年%d月 营商环境“暖心行动”月报填报表", t->name, j->year,
             j->month);
    worksheet_write_string(ws, (lxw_row_t)r++, 0, line, j->f[F_TITLE]);
    snprintf(line, sizeof(line),
             "乡镇代码 %s，报送月份 %04d-%02d，版本号 %ld。报送截止：%s 当天 24 时前报送县营商办。",
             t->code, j->year, j->month, t->revision, t->deadline);
    worksheet_write_string(ws, (lxw_row_t)r++, 0, line, j->f[F_GUIDE]);
    r++;
    static const char *const rules[] = {
        "一、怎么填",
        "1. "
        "浅黄色单元格由乡镇填写；灰色单元格（乡镇代码、名称、月份、版本号）由县营商办填写，不能修改"
        "。"
        "请勿删除、改名或移动工作表，不要插入、删除或移动列，表头不要改动。",
        "2. 数量一律填整数，没有就填 0，不要带单位。只有“提供助企惠企政策咨询服务（人）”和"
        "“为企业提供用工信息（个）”在只知道约数时可以写“120余”（约数，回执中会提示）；"
        "其他数量必须填准确数字。",
        "3. 日期写成 2026-11-09，也可以写 2026/11/9 或 2026年11月9日。走流程日期须在本月内；"
        "问题的发现日期、整改完成日期不能晚于本月最后一天。",
        "4. "
        "“服务窗口”“班子成员”已按上月报送的报表预填，请核对：有新增的在下面空行填写（编号可留空，"
        "系统自动编号），撤销的整行删除。窗口名称可从下拉列表选择，也可以填写其他名称"
        "（归入“其他”）。班子成员只填职务，不填姓名。",
        "5. “走流程”：领导每到一个窗口走一次流程填一行，领导和窗口从下拉列表选择"
        "（列表来自本表的“班子成员”和“服务窗口”）。走流程中发现的问题，把问题编号填在最后一列。",
        "6. “问题整改”：上月底仍未整改完的问题已预填（编号和发现日期不能改），请更新整改状态；"
        "已整改的必须填整改完成日期，未整改、整改中的不填。本月新发现的问题在下面空行填写，"
        "编号可以自己编（如 P2026-11-01），走流程中发现的问题要在“走流程”表中填同一编号。",
        "7. "
        "“长效机制及建议”：建立的制度或方案、遇到的困难和问题、下步工作重点、意见建议，每项一行，"
        "先选类别再填内容。",
        "8. “好差评”的自报主动评价率可不填；排名按主动评价件数除以办件量计算。",
        "",
        "二、怎么报送",
        "填好后直接保存（仍为 .xlsx 格式，不要另存为 .xls、.et 或 .ods），文件名可以不改。"
        "按县营商办规定的方式放入收件箱（与 XML 报表相同），也可以和签字盖章的报告一起打成 zip "
        "包报送。",
        "报送后会收到回执：“接收”或“接收（有警告）”即报送成功；“退回”时回执会写明哪一张工作表、"
        "第几行、哪一列需要修改，改好后保存，重新报送同一个文件即可。",
        "已经接收的报表需要更正时，请向县营商办索取更正用的填报表（版本号加 1），填好后报送。",
    };
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
        worksheet_write_string(
            ws, (lxw_row_t)r++, 0, rules[i],
            strncmp(rules[i], "一、", 6) == 0 || strncmp(rules[i], "二、", 6) == 0 ? j->f[F_TITLE]
                                                                                   : j->f[F_GUIDE]);
    protect(ws, 0);
}

/* The value of form field f for a --revise workbook (NULL when none). */
static const char *
field_value(struct job *j, const struct town *t, enum wb_field f, int *approx)
{
    static const char *const cols[WF_NFIELDS] = {
        [WF_CONTACT] = "contact_name",
        [WF_PHONE] = "contact_phone",
        [WF_SITES_TOTAL] = "sites_total",
        [WF_SITES_WITH] = "sites_with_window",
        [WF_CONSULTATIONS] = "consultations",
        [WF_JOB_POSTINGS] = "job_postings",
        [WF_RECRUITMENT] = "recruitment_events",
        [WF_COUNTY_ITEMS] = "county_items",
        [WF_HANDLED] = "handled",
        [WF_EVALUATED] = "evaluated",
        [WF_RATE] = "reported_rate",
        [WF_SYMPOSIA] = "symposia",
        [WF_MERCHANTS] = "merchants_visited",
        [WF_ENTERPRISES] = "enterprises_visited",
        [WF_INSPECTIONS] = "inspections",
        [WF_WARNINGS] = "warning_sessions",
        [WF_VIOLATIONS] = "violations",
        [WF_RECEIVED] = "complaints_received",
        [WF_RESOLVED] = "complaints_resolved",
        [WF_SUBMITTED] = "submitted_at",
    };
    int lo, hi;
    *approx = 0;
    if (t->source_id == NULL || cols[f] == NULL)
        return NULL;
    rows_of(j->rows[R_SUB], "submission_id", t->source_id, 1, &lo, &hi);
    if (lo == hi)
        return NULL;
    /* a new month starts from last month's contact only; counts start empty */
    if (!j->o->revise && f != WF_CONTACT && f != WF_PHONE)
        return NULL;
    if (f == WF_CONSULTATIONS)
        *approx = strcmp(text(j->rows[R_SUB], lo, "consultations_approx"), "t") == 0;
    if (f == WF_JOB_POSTINGS)
        *approx = strcmp(text(j->rows[R_SUB], lo, "job_postings_approx"), "t") == 0;
    return cell(j->rows[R_SUB], lo, cols[f]);
}

static void
form_value(struct job *j, const struct town *t, lxw_worksheet *ws, enum wb_field f)
{
    const struct wb_form_field *ff = wblayout_field(f);
    int row = (int)ff->row - 1, approx;
    char rev[24];
    lxw_format *fmt = kind_format(j, ff->kind);
    switch (f) {
    case WF_CODE:
        put_text(ws, row, 1, t->code, fmt);
        return;
    case WF_NAME:
        put_text(ws, row, 1, t->name, fmt);
        return;
    case WF_PERIOD:
        snprintf(rev, sizeof(rev), "%04d-%02d", j->year, j->month);
        put_text(ws, row, 1, rev, fmt);
        return;
    case WF_REVISION:
        snprintf(rev, sizeof(rev), "%ld", t->revision);
        put_text(ws, row, 1, rev, fmt);
        return;
    default:
        break;
    }
    const char *v = field_value(j, t, f, &approx);
    if (ff->kind == WBK_DATETIME || ff->kind == WBK_DATE)
        put_date(ws, row, 1, v, fmt);
    else if (ff->kind == WBK_COUNT || ff->kind == WBK_COUNT_APPROX)
        put_count(ws, row, 1, v, approx, fmt);
    else if (ff->kind == WBK_RATE && v != NULL)
        worksheet_write_number(ws, (lxw_row_t)row, 1, strtod(v, NULL), fmt);
    else
        put_text(ws, row, 1, v, fmt);
}

static void
form_sheet(struct job *j, const struct town *t, lxw_worksheet *ws, enum wb_sheet sheet)
{
    worksheet_set_column(ws, 0, 0, 44, NULL);
    worksheet_set_column(ws, 1, 1, 24, NULL);
    worksheet_set_column(ws, 2, 2, 56, NULL);
    worksheet_write_string(ws, 0, 0, "项目", j->f[F_HEAD]);
    worksheet_write_string(ws, 0, 1, "填报内容", j->f[F_HEAD]);
    worksheet_write_string(ws, 0, 2, "说明", j->f[F_HEAD]);
    for (int f = 0; f < WF_NFIELDS; f++) {
        const struct wb_form_field *ff = wblayout_field((enum wb_field)f);
        if (ff->sheet != sheet)
            continue;
        int row = (int)ff->row - 1;
        worksheet_write_string(ws, (lxw_row_t)row, 0, ff->label, j->f[F_LABEL]);
        worksheet_write_string(ws, (lxw_row_t)row, 2, ff->hint, j->f[F_HINT]);
        form_value(j, t, ws, (enum wb_field)f);
        if (ff->kind != WBK_FIXED)
            validate_kind(j, ws, row, row, 1, ff->kind, ff->label, ff->hint,
                          ff->kind == WBK_DATETIME ? 3 : 0);
    }
    worksheet_freeze_panes(ws, 1, 0);
    protect(ws, 0);
}

/* Header row, column formats (unlocked for input), validations. */
static void
list_frame(struct job *j, lxw_worksheet *ws, enum wb_sheet sheet)
{
    size_t n;
    const struct wb_column *cols = wblayout_columns(sheet, &n);
    for (size_t c = 0; c < n; c++) {
        worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, cols[c].width,
                             kind_format(j, cols[c].kind));
        worksheet_write_string(ws, 0, (lxw_col_t)c, cols[c].label, j->f[F_HEAD]);
        int when = 0;
        if (sheet == WB_WALKS)
            when = 1; /* inside the month */
        else if (sheet == WB_PROBLEMS && (c == PC_FOUND || c == PC_RECTIFIED))
            when = 2; /* not after the month */
        if (cols[c].kind == WBK_LEADER_REF)
            validate_ref(ws, (int)c, wblayout_sheet_name(WB_LEADERS), cols[c].hint);
        else if (cols[c].kind == WBK_WINDOW_REF)
            validate_ref(ws, (int)c, wblayout_sheet_name(WB_WINDOWS), cols[c].hint);
        else
            validate_kind(j, ws, 1, LIST_ROWS, (int)c, cols[c].kind, cols[c].label, cols[c].hint,
                          when);
    }
    worksheet_freeze_panes(ws, 1, 0);
}

static void
windows_sheet(struct job *j, const struct town *t, lxw_worksheet *ws)
{
    int lo = 0, hi = 0;
    list_frame(j, ws, WB_WINDOWS);
    /* the catalog names, a free name still allowed (it becomes "other") */
    lxw_data_validation v;
    memset(&v, 0, sizeof(v));
    v.validate = LXW_VALIDATION_TYPE_LIST;
    v.value_list = j->catalog;
    v.error_type = LXW_VALIDATION_ERROR_TYPE_INFORMATION;
    v.error_message = "不在全县窗口目录中的名称归入“其他”";
    input_message(&v, NULL, wblayout_columns(WB_WINDOWS, &(size_t){0})[WC_NAME].hint);
    validate_range(ws, 1, LIST_ROWS, WC_NAME, &v);
    if (t->source_id != NULL)
        rows_of(j->rows[R_WINDOWS], "submission_id", t->source_id, 1, &lo, &hi);
    for (int i = lo; i < hi; i++) {
        int r = 1 + i - lo;
        put_text(ws, r, WC_ID, text(j->rows[R_WINDOWS], i, "window_id"), j->f[F_TEXT]);
        put_text(ws, r, WC_NAME, text(j->rows[R_WINDOWS], i, "name"), j->f[F_TEXT]);
    }
    protect(ws, 1);
}

static void
leaders_sheet(struct job *j, const struct town *t, lxw_worksheet *ws)
{
    int lo = 0, hi = 0;
    list_frame(j, ws, WB_LEADERS);
    if (t->source_id != NULL)
        rows_of(j->rows[R_LEADERS], "submission_id", t->source_id, 1, &lo, &hi);
    for (int i = lo; i < hi; i++) {
        int r = 1 + i - lo;
        put_text(ws, r, LC_ID, text(j->rows[R_LEADERS], i, "leader_id"), j->f[F_TEXT]);
        put_text(ws, r, LC_TITLE, text(j->rows[R_LEADERS], i, "title"), j->f[F_TEXT]);
        put_text(ws, r, LC_ROLE, choice_label(WBK_ROLE, text(j->rows[R_LEADERS], i, "role")),
                 j->f[F_TEXT]);
    }
    protect(ws, 1);
}

/* A walk names its leader and window by id in the database; the sheet
 * shows the title and name the dropdowns offer when they are unique. */
static const char *
member_label(const PGresult *res, int lo, int hi, const char *id_col, const char *name_col,
             const char *id)
{
    const char *name = NULL;
    for (int i = lo; i < hi; i++)
        if (strcmp(text(res, i, id_col), id) == 0)
            name = text(res, i, name_col);
    if (name == NULL)
        return id;
    int same = 0;
    for (int i = lo; i < hi; i++)
        same += strcmp(text(res, i, name_col), name) == 0;
    return same == 1 ? name : id;
}

static void
walks_sheet(struct job *j, const struct town *t, lxw_worksheet *ws)
{
    int lo = 0, hi = 0, wlo = 0, whi = 0, llo = 0, lhi = 0;
    list_frame(j, ws, WB_WALKS);
    if (j->o->revise && t->source_id != NULL) {
        rows_of(j->rows[R_WALKS], "submission_id", t->source_id, 1, &lo, &hi);
        rows_of(j->rows[R_WINDOWS], "submission_id", t->source_id, 1, &wlo, &whi);
        rows_of(j->rows[R_LEADERS], "submission_id", t->source_id, 1, &llo, &lhi);
    }
    for (int i = lo; i < hi; i++) {
        const PGresult *w = j->rows[R_WALKS];
        int r = 1 + i - lo;
        put_date(ws, r, KC_DATE, text(w, i, "walk_date"), j->f[F_DATE]);
        put_text(ws, r, KC_LEADER,
                 member_label(j->rows[R_LEADERS], llo, lhi, "leader_id", "title",
                              text(w, i, "leader_id")),
                 j->f[F_TEXT]);
        put_text(ws, r, KC_WINDOW,
                 member_label(j->rows[R_WINDOWS], wlo, whi, "window_id", "name",
                              text(w, i, "window_id")),
                 j->f[F_TEXT]);
        put_text(ws, r, KC_PROBLEMS, text(w, i, "problem_ids"), j->f[F_TEXT]);
    }
    protect(ws, 1);
}

static void
problem_row(struct job *j, lxw_worksheet *ws, int r, const PGresult *p, int i, int carried)
{
    lxw_format *id_fmt = carried ? j->f[F_FIXED] : j->f[F_TEXT];
    lxw_format *found_fmt = carried ? j->f[F_FIXED_DATE] : j->f[F_DATE];
    put_text(ws, r, PC_ID, text(p, i, "problem_id"), id_fmt);
    put_text(ws, r, PC_SOURCE, choice_label(WBK_SOURCE, text(p, i, "source")), j->f[F_TEXT]);
    put_date(ws, r, PC_FOUND, text(p, i, "found"), found_fmt);
    put_text(ws, r, PC_STATUS, choice_label(WBK_STATUS, text(p, i, "status")), j->f[F_TEXT]);
    put_date(ws, r, PC_RECTIFIED, cell(p, i, "rectified"), j->f[F_DATE]);
    put_date(ws, r, PC_DEADLINE, cell(p, i, "deadline"), j->f[F_DATE]);
    put_text(ws, r, PC_TEXT, text(p, i, "description"), j->f[F_TEXT]);
}

static void
problems_sheet(struct job *j, const struct town *t, lxw_worksheet *ws)
{
    int lo = 0, hi = 0;
    list_frame(j, ws, WB_PROBLEMS);
    if (j->o->revise) {
        if (t->source_id != NULL)
            rows_of(j->rows[R_PROBLEMS], "submission_id", t->source_id, 1, &lo, &hi);
        for (int i = lo; i < hi; i++)
            problem_row(j, ws, 1 + i - lo, j->rows[R_PROBLEMS], i, 0);
    } else {
        rows_of(j->open, "township_code", t->code, 0, &lo, &hi);
        for (int i = lo; i < hi; i++)
            problem_row(j, ws, 1 + i - lo, j->open, i, 1);
    }
    protect(ws, 1);
}

static void
texts_sheet(struct job *j, const struct town *t, lxw_worksheet *ws)
{
    static const char *const kinds[][2] = {{"mechanism", "mechanisms"},
                                           {"difficulty", "difficulties"},
                                           {"next_step", "nextSteps"},
                                           {"suggestion", "suggestions"}};
    int lo = 0, hi = 0;
    list_frame(j, ws, WB_TEXTS);
    if (j->o->revise && t->source_id != NULL)
        rows_of(j->rows[R_TEXTS], "submission_id", t->source_id, 1, &lo, &hi);
    for (int i = lo; i < hi; i++) {
        const char *k = text(j->rows[R_TEXTS], i, "kind"), *value = k;
        for (size_t q = 0; q < 4; q++)
            if (strcmp(kinds[q][0], k) == 0)
                value = kinds[q][1];
        put_text(ws, 1 + i - lo, TC_KIND, choice_label(WBK_TEXTKIND, value), j->f[F_TEXT]);
        put_text(ws, 1 + i - lo, TC_TEXT, text(j->rows[R_TEXTS], i, "body"), j->f[F_TEXT]);
    }
    protect(ws, 1);
}

static void
meta_sheet(struct job *j, const struct town *t, lxw_worksheet *ws)
{
    char period[16], rev[24], base[16] = "";
    snprintf(period, sizeof(period), "%04d-%02d", j->year, j->month);
    snprintf(rev, sizeof(rev), "%ld", t->revision);
    if (strlen(t->source_period) >= 7)
        snprintf(base, sizeof(base), "%.7s", t->source_period);
    const char *values[WM_NROWS + 1] = {
        [WM_MARKER] = WBLAYOUT_MARKER, [WM_VERSION] = WBLAYOUT_VERSION,
        [WM_CODE] = t->code,           [WM_PERIOD] = period,
        [WM_REVISION] = rev,           [WM_BASE_SHA256] = t->source_sha256,
        [WM_BASE_PERIOD] = base,
    };
    worksheet_set_column(ws, 0, 0, 20, NULL);
    worksheet_set_column(ws, 1, 1, 70, NULL);
    for (int r = WM_MARKER; r <= WM_NROWS; r++) {
        worksheet_write_string(ws, (lxw_row_t)(r - 1), 0, wblayout_meta_label((enum wb_meta_row)r),
                               NULL);
        put_text(ws, r - 1, 1, values[r], j->f[F_FIXED]);
    }
    worksheet_hide(ws);
    worksheet_protect(ws, NULL, NULL);
}

/* ---- one workbook -------------------------------------------------------------- */

static int
write_book(struct job *j, const struct town *t, const char *path)
{
    char title[256];
    lxw_worksheet *ws[WB_NSHEETS];
    j->wb = workbook_new(path);
    if (j->wb == NULL)
        return bz_error_set(j->e, E_IO_WRITE, "无法创建填报表“%s”", path);
    snprintf(title, sizeof(title), "%s %04d-%02d 营商环境月报填报表", t->name, j->year, j->month);
    lxw_doc_properties props;
    memset(&props, 0, sizeof(props));
    props.title = title;
    props.author = "bizenv";
    props.company = "县营商办";
    /* the month's first day: the same data gives the same bytes */
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = j->year - 1900;
    tm.tm_mon = j->month - 1;
    tm.tm_mday = 1;
    props.created = timegm(&tm);
    workbook_set_properties(j->wb, &props);
    make_formats(j);
    for (int sh = 0; sh < WB_NSHEETS; sh++)
        ws[sh] = workbook_add_worksheet(j->wb, wblayout_sheet_name((enum wb_sheet)sh));
    guide_sheet(j, t, ws[WB_GUIDE]);
    form_sheet(j, t, ws[WB_BASIC], WB_BASIC);
    form_sheet(j, t, ws[WB_ONESTOP], WB_ONESTOP);
    windows_sheet(j, t, ws[WB_WINDOWS]);
    leaders_sheet(j, t, ws[WB_LEADERS]);
    walks_sheet(j, t, ws[WB_WALKS]);
    form_sheet(j, t, ws[WB_EVALUATION], WB_EVALUATION);
    problems_sheet(j, t, ws[WB_PROBLEMS]);
    form_sheet(j, t, ws[WB_ENGAGEMENT], WB_ENGAGEMENT);
    form_sheet(j, t, ws[WB_DISCIPLINE], WB_DISCIPLINE);
    texts_sheet(j, t, ws[WB_TEXTS]);
    meta_sheet(j, t, ws[WB_META]);
    worksheet_activate(ws[WB_GUIDE]);
    lxw_error err = workbook_close(j->wb);
    j->wb = NULL;
    if (err != LXW_NO_ERROR) {
        bz_error_set(j->e, E_IO_WRITE, "写入填报表“%s”失败", path);
        return bz_error_detail(j->e, "%s", lxw_strerror(err));
    }
    return 0;
}

/* Writes one township's workbook under a temporary name, then renames it. */
static int
publish(struct job *j, const struct town *t, const char *dir, char *path, size_t cap)
{
    char tmp[BZ_PATH_MAX + 128];
    char name[128];
    if (j->o->revise)
        snprintf(name, sizeof(name), "%s-%04d-%02d-填报表-第%ld版.xlsx", t->code, j->year, j->month,
                 t->revision);
    else
        snprintf(name, sizeof(name), "%s-%04d-%02d-填报表.xlsx", t->code, j->year, j->month);
    int n = snprintf(path, cap, "%s/%s", dir, name);
    int m = snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
    if (n < 0 || (size_t)n >= cap || m < 0 || (size_t)m >= sizeof(tmp))
        return bz_error_set(j->e, E_CONFIG, "填报表目录路径过长：%s", dir);
    int rc = write_book(j, t, tmp);
    if (rc == 0 && rename(tmp, path) != 0) {
        bz_error_set(j->e, E_IO_WRITE, "无法写入填报表“%s”", path);
        rc = bz_error_detail(j->e, "%s", strerror(errno));
    }
    if (rc < 0)
        unlink(tmp);
    return rc;
}

/* ---- the run ---------------------------------------------------------------------- */

static int
parse_period(struct job *j, const char *p)
{
    if (p == NULL || strlen(p) != 7 || p[4] != '-' ||
        sscanf(p, "%4d-%2d", &j->year, &j->month) != 2 || j->month < 1 || j->month > 12 ||
        j->year < 1990 || j->year > 9999)
        return -1;
    for (int i = 0; i < 7; i++)
        if (i != 4 && (p[i] < '0' || p[i] > '9'))
            return -1;
    j->last_day = fields_days_in_month(j->year, j->month);
    snprintf(j->period_date, sizeof(j->period_date), "%04d-%02d-01", j->year, j->month);
    return 0;
}

/* The rows every workbook needs: townships, catalog names, then the rows
 * of the submissions they are pre-filled from. */
static int
fetch(struct job *j)
{
    struct dbuf codes, ids;
    char lit[24];
    int rc;
    const char *v[2] = {j->period_date, NULL};
    if (j->o->township != NULL) {
        snprintf(lit, sizeof(lit), "{%s}", j->o->township);
        v[1] = lit;
    }
    rc = query(j, &j->base, sql_base, 2, v, "读取乡镇名录");
    if (rc == 0)
        rc = query(j, &j->names, sql_names, 0, NULL, "读取窗口目录");
    if (rc < 0)
        return rc;
    int n = PQntuples(j->base);
    if (j->o->township != NULL && n == 0)
        return bz_error_set(j->e, E_USAGE, "乡镇代码 %s 不在全县乡镇名录中", j->o->township);
    /* array literals of codes and ids: digits only, nothing to quote */
    dbuf_init(&codes, 1u << 24);
    dbuf_init(&ids, 1u << 24);
    rc = dbuf_adds(&codes, "{");
    if (rc == 0)
        rc = dbuf_adds(&ids, "{");
    for (int i = 0; rc == 0 && i < n; i++) {
        const char *src = cell(j->base, i, j->o->revise ? "current_id" : "base_id");
        rc = dbuf_printf(&codes, "%s%s", i ? "," : "", text(j->base, i, "township_code"));
        if (rc == 0 && src != NULL)
            rc = dbuf_printf(&ids, "%s%s", ids.len > 1 ? "," : "", src);
    }
    if (rc == 0)
        rc = dbuf_adds(&codes, "}");
    if (rc == 0)
        rc = dbuf_adds(&ids, "}");
    if (rc != 0)
        rc = bz_error_set(j->e, E_NOMEM, "内存不足，无法生成填报表");
    v[1] = codes.data;
    if (rc == 0)
        rc = query(j, &j->open, sql_open, 2, v, "读取未整改问题");
    for (int k = 0; rc == 0 && k < R_N; k++)
        rc = query(j, &j->rows[k], sql_rows[k], 1, (const char *const *)&ids.data, "读取预填内容");
    dbuf_free(&codes);
    dbuf_free(&ids);
    if (rc < 0)
        return rc;
    int nn = PQntuples(j->names);
    j->catalog = calloc((size_t)nn + 1, sizeof(*j->catalog));
    if (j->catalog == NULL)
        return bz_error_set(j->e, E_NOMEM, "内存不足，无法生成填报表");
    for (int i = 0; i < nn; i++)
        j->catalog[i] = (char *)text(j->names, i, "name");
    return 0;
}

/* Decides one township's workbook: skipped, or what it is made from. */
static const char *
plan(struct job *j, int row, struct town *t)
{
    const char *current_id = cell(j->base, row, "current_id");
    memset(t, 0, sizeof(*t));
    t->row = row;
    t->code = text(j->base, row, "township_code");
    t->name = text(j->base, row, "township_name");
    t->deadline = text(j->base, row, "deadline");
    long current = strtol(text(j->base, row, "current_revision"), NULL, 10);
    if (j->o->revise) {
        t->revision = current;
        if (current_id == NULL)
            return "E_TEMPLATE_NO_REVISION";
        t->source_id = current_id;
        t->source_sha256 = text(j->base, row, "current_sha256");
        t->source_period = j->period_date;
        t->revision = current + 1;
        return NULL;
    }
    if (current_id != NULL) {
        t->revision = current;
        return "E_TEMPLATE_EXISTS";
    }
    t->source_id = cell(j->base, row, "base_id");
    t->source_sha256 = text(j->base, row, "base_sha256");
    t->source_period = text(j->base, row, "base_period");
    t->revision = 1;
    return NULL;
}

static int
write_all(struct job *j, const char *dir, template_observer obs, void *arg,
          struct template_result *r)
{
    char path[BZ_PATH_MAX + 128];
    for (int i = 0; i < PQntuples(j->base); i++) {
        struct town t;
        struct template_item it;
        const char *skip = plan(j, i, &t);
        memset(&it, 0, sizeof(it));
        it.code = t.code;
        it.name = t.name;
        it.skip = skip;
        it.revision = t.revision;
        it.prefilled = t.source_id != NULL;
        if (skip == NULL) {
            int rc = publish(j, &t, dir, path, sizeof(path));
            if (rc < 0)
                return rc;
            it.path = path;
            r->written++;
        } else {
            r->skipped++;
        }
        if (obs != NULL)
            obs(&it, arg);
    }
    return 0;
}

static void
job_free(struct job *j)
{
    PQclear(j->base);
    PQclear(j->open);
    PQclear(j->names);
    for (int k = 0; k < R_N; k++)
        PQclear(j->rows[k]);
    free(j->catalog);
}

int
template_run(PGconn *conn, const struct settings *s, const struct template_opts *o,
             template_observer obs, void *arg, struct template_result *r, struct bz_error *e)
{
    struct job j;
    memset(&j, 0, sizeof(j));
    memset(r, 0, sizeof(*r));
    j.conn = conn;
    j.s = s;
    j.o = o;
    j.e = e;
    if (parse_period(&j, o->period) < 0)
        return bz_error_set(e, E_USAGE, "无效的月份“%s”（应为 YYYY-MM）",
                            o->period ? o->period : "");
    if (o->township != NULL && (strlen(o->township) != 9 || strspn(o->township, "0123456789") != 9))
        return bz_error_set(e, E_USAGE, "乡镇代码“%s”应为 9 位数字", o->township);
    int n = o->out_dir != NULL
                ? snprintf(r->dir, sizeof(r->dir), "%s", o->out_dir)
                : snprintf(r->dir, sizeof(r->dir), "%s/%04d-%02d", s->templates, j.year, j.month);
    if (n < 0 || (size_t)n >= sizeof(r->dir))
        return bz_error_set(e, E_CONFIG, "填报表目录路径过长");
    int rc = inbox_mkdirs(r->dir, e);
    if (rc < 0)
        return rc;
    rc =
        pgutil_exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "开始读取预填内容", e);
    if (rc < 0)
        return rc;
    rc = fetch(&j);
    if (rc == 0)
        rc = write_all(&j, r->dir, obs, arg, r);
    if (rc == 0)
        rc = pgutil_exec(conn, "COMMIT", "结束读取预填内容", e);
    else
        pgutil_rollback(conn);
    job_free(&j);
    return rc;
}
