/*
 * workbook.c — cells to the canonical document and back to cells.
 *
 * conv_* build the canonical document from the book, one line per element,
 * recording for each line where its values came from (struct line); the
 * readers (read_*) turn one cell into one value of the format, reporting
 * what they cannot read at the cell; map_* give transform's diagnostics
 * back at their cells.
 */
#include "workbook.h"

#include "../common/codes.h"
#include "../common/esc.h"
#include "../common/hash.h"
#include "fields.h"
#include "wblayout.h"
#include "xlsx.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUBMISSION_NS "urn:bizenv:submission:1"
#define MAX_LINE_ATTRS 8
#define OFFSET "+08:00" /* the county's time (Asia/Shanghai has no DST) */

/* Where a value came from: a sheet, a row (0: the sheet as a whole) and a
 * column (0: the row as a whole). */
struct loc {
    int sheet;
    uint32_t row;
    unsigned col;
};

struct line {
    struct loc def; /* for diagnostics about the element itself */
    unsigned nattr;
    struct {
        const char *attr; /* static string */
        struct loc loc;
    } a[MAX_LINE_ATTRS];
};

/* A diagnostic at a cell, before it goes to the caller's list. */
struct wdiag {
    char code[32];
    struct loc loc;
    int has_loc;
    int from_rules; /* found by transform (dropped when the reader spoke first) */
    size_t seq;
    char *path; /* the cell as text, or the rules' path when there is no cell */
    char *message;
};

/* A window or leader listed in the workbook, for the walks' references. */
struct member {
    const char *id;   /* in the arena of the conversion */
    const char *name; /* window name or post title */
    const char *key;  /* name normalized, as the walks' cells are compared with it */
};

struct conv {
    const struct settings *s;
    struct xlsx_book book;
    const struct xlsx_sheet *sh[WB_NSHEETS];
    struct dbuf *xml;
    struct line *lines; /* lines[i] is line i + 1 */
    size_t nlines, caplines;
    struct wdiag *diags;
    size_t ndiags, capdiags, seq;
    size_t lost_errors, lost_warnings; /* not kept: past 2 x max_diagnostics */
    int oom;
    int too_big; /* the document would pass max_xml_bytes */
    int year, month;
    char code[16], period[16], revision[16];
    struct member *windows, *leaders;
    size_t nwindows, nleaders;
    char **owned; /* strings made here (ids, numbers as text) */
    size_t nowned, capowned;
};

/* ---- bookkeeping --------------------------------------------------------- */

static const char *
keep(struct conv *c, const char *str)
{
    if (c->nowned == c->capowned) {
        size_t cap = c->capowned ? c->capowned * 2 : 64;
        char **v = realloc(c->owned, cap * sizeof(*v));
        if (v == NULL) {
            c->oom = 1;
            return "";
        }
        c->owned = v;
        c->capowned = cap;
    }
    char *d = strdup(str);
    if (d == NULL) {
        c->oom = 1;
        return "";
    }
    c->owned[c->nowned++] = d;
    return d;
}

static const char *
col_label(int sheet, unsigned col, uint32_t row)
{
    size_t n;
    const struct wb_column *cols = wblayout_columns((enum wb_sheet)sheet, &n);
    if (cols != NULL)
        return col >= 1 && col <= n ? cols[col - 1].label : "";
    for (int f = 0; f < WF_NFIELDS; f++) {
        const struct wb_form_field *ff = wblayout_field((enum wb_field)f);
        if ((int)ff->sheet == sheet && ff->row == row)
            return ff->label;
    }
    return "";
}

/* 工作表“走流程”第 7 行 C 列“窗口” */
static void
loc_text(const struct loc *l, char *buf, size_t cap)
{
    char letters[8];
    int n = snprintf(buf, cap, "工作表“%s”", wblayout_sheet_name((enum wb_sheet)l->sheet));
    if (n < 0 || (size_t)n >= cap || l->row == 0)
        return;
    n += snprintf(buf + n, cap - (size_t)n, "第 %u 行", (unsigned)l->row);
    if ((size_t)n >= cap || l->col == 0)
        return;
    wblayout_col_letters(l->col, letters);
    const char *label = col_label(l->sheet, l->col, l->row);
    snprintf(buf + n, cap - (size_t)n, " %s 列%s%s%s", letters, label[0] ? "“" : "", label,
             label[0] ? "”" : "");
}

static void
add_diag(struct conv *c, const char *code, const struct loc *l, int from_rules, const char *path,
         const char *msg)
{
    char where[256];
    /* a hostile workbook can have a bad value in each of 200,000 cells:
     * twice the receipt's own limit is kept (the rest only counted) */
    if ((long long)c->ndiags >= 2 * c->s->max_diagnostics) {
        if (codes_is_warning(code))
            c->lost_warnings++;
        else
            c->lost_errors++;
        return;
    }
    if (c->ndiags == c->capdiags) {
        size_t cap = c->capdiags ? c->capdiags * 2 : 32;
        struct wdiag *v = realloc(c->diags, cap * sizeof(*v));
        if (v == NULL) {
            c->oom = 1;
            return;
        }
        c->diags = v;
        c->capdiags = cap;
    }
    struct wdiag *d = &c->diags[c->ndiags];
    memset(d, 0, sizeof(*d));
    bz_strlcpy_utf8(d->code, code, sizeof(d->code));
    if (l != NULL) {
        d->loc = *l;
        d->has_loc = 1;
        loc_text(l, where, sizeof(where));
        path = where;
    }
    d->from_rules = from_rules;
    d->seq = c->seq++;
    d->path = strdup(path ? path : "");
    d->message = strdup(msg);
    if (d->path == NULL || d->message == NULL) {
        free(d->path);
        free(d->message);
        c->oom = 1;
        return;
    }
    c->ndiags++;
}

static void cell_diag(struct conv *c, const char *code, const struct loc *l, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static void
cell_diag(struct conv *c, const char *code, const struct loc *l, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    add_diag(c, code, l, 0, NULL, msg);
}

/* ---- text helpers -------------------------------------------------------- */

/* A value quoted in a message: at most 60 bytes, whole characters. */
static void
shown(const char *str, char *buf, size_t cap)
{
    char tmp[64];
    bz_strlcpy_utf8(tmp, str, sizeof(tmp));
    bz_strlcpy_utf8(buf, tmp, cap);
}

/* Copies str without surrounding white space (ASCII and the ideographic
 * space U+3000) and with full-width digits, letters and the punctuation
 * of dates and numbers made half-width, into buf. */
static void
normalize(const char *str, char *buf, size_t cap)
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)str;
    while (*p != '\0' && o + 4 < cap) {
        if (p[0] == 0xEF && (p[1] == 0xBC || p[1] == 0xBD) && p[2] >= 0x80) {
            /* U+FF01..U+FF5E: full-width ASCII */
            unsigned cp = ((unsigned)(p[1] & 0x3F) << 6 | (p[2] & 0x3F)) + 0xF000;
            if (cp >= 0xFF01 && cp <= 0xFF5E) {
                buf[o++] = (char)(cp - 0xFF01 + 0x21);
                p += 3;
                continue;
            }
        }
        if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) {
            buf[o++] = ' ';
            p += 3;
            continue;
        }
        buf[o++] = (char)*p++;
    }
    buf[o] = '\0';
    size_t a = 0;
    while (buf[a] == ' ' || buf[a] == '\t' || buf[a] == '\r' || buf[a] == '\n')
        a++;
    memmove(buf, buf + a, o - a + 1);
    o -= a;
    while (o > 0 &&
           (buf[o - 1] == ' ' || buf[o - 1] == '\t' || buf[o - 1] == '\r' || buf[o - 1] == '\n'))
        buf[--o] = '\0';
}

/* Whether a cell's text is `want`, both normalized (full-width and
 * half-width forms compare equal). */
static int
same_text(const char *got, const char *want)
{
    char w[256];
    normalize(want, w, sizeof(w));
    return strcmp(got, w) == 0;
}

static int
blank_text(const char *str)
{
    char buf[16];
    normalize(str, buf, sizeof(buf));
    return buf[0] == '\0' && strlen(str) < 12;
}

/* An integral number as digits, anything else as Excel shows it. */
static void
number_text(double v, char *buf, size_t cap)
{
    if (fabs(v) < 1e15 && v == floor(v))
        snprintf(buf, cap, "%.0f", v);
    else
        snprintf(buf, cap, "%.15g", v);
}

static int
digits_only(const char *str, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (str[i] < '0' || str[i] > '9')
            return 0;
    return n > 0;
}

/* ---- cells -------------------------------------------------------------- */

static const struct xlsx_cell *
cell_at(const struct conv *c, const struct loc *l)
{
    const struct xlsx_cell *x = xlsx_cell_at(c->sh[l->sheet], l->row, l->col);
    if (x != NULL && x->type == XLSX_STRING && blank_text(x->text))
        return NULL;
    return x;
}

enum got { GOT_EMPTY, GOT_OK, GOT_BAD };

/* The cell, or GOT_EMPTY/GOT_BAD; unreadable cells and empty required ones
 * are reported here (required: 0 no, 1 yes, 2 yes and 0 is the answer
 * for none). */
static enum got
fetch(struct conv *c, const struct loc *l, int required, const struct xlsx_cell **out)
{
    const struct xlsx_cell *x = cell_at(c, l);
    *out = x;
    if (x == NULL) {
        if (required)
            cell_diag(c, "E_WB_REQUIRED", l, "%s", required == 2 ? "未填写；没有请填 0" : "未填写");
        return required ? GOT_BAD : GOT_EMPTY;
    }
    if (x->type == XLSX_BAD) {
        cell_diag(c, x->code, l, "%s", x->text);
        return GOT_BAD;
    }
    return GOT_OK;
}

/* Free text: strings as they are, numbers as Excel shows them. */
static enum got
read_text(struct conv *c, const struct loc *l, int required, const char **out)
{
    const struct xlsx_cell *x;
    char buf[64];
    enum got g = fetch(c, l, required, &x);
    *out = "";
    if (g != GOT_OK)
        return g;
    if (x->type == XLSX_STRING) {
        *out = x->text;
    } else if (x->type == XLSX_BOOL) {
        *out = x->num != 0 ? "TRUE" : "FALSE";
    } else {
        number_text(x->num, buf, sizeof(buf));
        *out = keep(c, buf);
    }
    return GOT_OK;
}

/* A count: a whole number 0..999,999,999, from a number or from text
 * ("31", "1,234", "３１", "31件"); "120余" only where approx is allowed. */
static enum got
read_count(struct conv *c, const struct loc *l, int required, int approx_ok, long long *value,
           int *approx)
{
    const struct xlsx_cell *x;
    char buf[128], v[64];
    enum got g = fetch(c, l, required ? 2 : 0, &x);
    *approx = 0;
    if (g != GOT_OK)
        return g;
    if (x->type == XLSX_NUMBER) {
        if (x->num < 0 || x->num != floor(x->num) || x->num > 999999999.0) {
            number_text(x->num, v, sizeof(v));
            cell_diag(c, "E_COUNT_FORMAT", l, "值 %s 不是 0 到 999999999 之间的整数", v);
            return GOT_BAD;
        }
        *value = (long long)x->num;
        return GOT_OK;
    }
    if (x->type != XLSX_STRING) {
        cell_diag(c, "E_COUNT_FORMAT", l, "应填整数");
        return GOT_BAD;
    }
    normalize(x->text, buf, sizeof(buf));
    size_t n = strlen(buf);
    /* a unit after the number: 人 个 次 件 场 家 户 项 起 名 (3 bytes each) */
    static const char *const units[] = {"场次", "人", "个", "次", "件", "场",
                                        "家",   "户", "项", "起", "名"};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        size_t k = strlen(units[i]);
        if (n > k && strcmp(buf + n - k, units[i]) == 0) {
            buf[n -= k] = '\0';
            break;
        }
    }
    int yu = n > 3 && strcmp(buf + n - 3, "余") == 0;
    if (yu)
        buf[n -= 3] = '\0';
    size_t o = 0;
    int grouped = strchr(buf, ',') != NULL;
    for (size_t i = 0; i < n && o + 1 < sizeof(v); i++) {
        if (buf[i] == ',') {
            /* thousands separators only between groups of three digits */
            size_t k = i + 1;
            while (k < n && buf[k] >= '0' && buf[k] <= '9')
                k++;
            if (o == 0 || k - i - 1 != 3 || (k < n && buf[k] != ','))
                grouped = -1;
            continue;
        }
        v[o++] = buf[i];
    }
    v[o] = '\0';
    char quoted[64];
    shown(x->text, quoted, sizeof(quoted));
    if (grouped < 0 || !digits_only(v, o) || o > 9) {
        cell_diag(c, "E_COUNT_FORMAT", l, "值“%s”不是 0 到 999999999 之间的整数", quoted);
        return GOT_BAD;
    }
    if (yu && !approx_ok) {
        cell_diag(c, "E_COUNT_FORMAT", l,
                  "“%s”是约数；约数（“余”）只能用于政策咨询人数和用工信息数，这里应填准确的整数",
                  quoted);
        return GOT_BAD;
    }
    *value = strtoll(v, NULL, 10);
    *approx = yu;
    return GOT_OK;
}

static int
days_in_month(int y, int m)
{
    return fields_days_in_month(y, m);
}

static int
take_digits(const char **p, int min, int max, int *out)
{
    int v = 0, n = 0;
    while (**p >= '0' && **p <= '9' && n < max) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    if (n < min || (**p >= '0' && **p <= '9'))
        return -1;
    *out = v;
    return 0;
}

/* The time part after a date: [T or space]HH:MM[:SS][Z|+HH:MM]. */
static int
parse_time(const char *p, int *secs, char *offset, size_t cap)
{
    int h, m, s = 0;
    offset[0] = '\0';
    if (*p == '\0') {
        *secs = -1;
        return 0;
    }
    if (*p != 'T' && *p != ' ')
        return -1;
    while (*p == ' ' || *p == 'T')
        p++;
    if (take_digits(&p, 1, 2, &h) < 0 || *p++ != ':' || take_digits(&p, 2, 2, &m) < 0)
        return -1;
    if (*p == ':') {
        p++;
        if (take_digits(&p, 2, 2, &s) < 0)
            return -1;
        if (*p == '.') /* fractions of a second are dropped */
            while (*++p >= '0' && *p <= '9')
                ;
    }
    if (h > 23 || m > 59 || s > 59)
        return -1;
    if (*p == 'Z' && p[1] == '\0') {
        snprintf(offset, cap, "Z");
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[1] >= '0' && p[1] <= '9' &&
               p[2] >= '0' && p[2] <= '9' && p[3] == ':' && p[4] >= '0' && p[4] <= '9' &&
               p[5] >= '0' && p[5] <= '9') {
        snprintf(offset, cap, "%s", p);
    } else if (*p != '\0') {
        return -1;
    }
    *secs = h * 3600 + m * 60 + s;
    return 0;
}

/* 2026-10-09, 2026/10/9, 2026.10.9, 2026年10月9日 or 20261009, with an
 * optional time. Returns 0 with *ymd (and *secs, -1 when no time), -1
 * when the text is not a date, -2 when it names a day that does not
 * exist. */
static int
parse_date_text(const char *text, int32_t *ymd, int *secs, char *offset, size_t cap)
{
    char buf[96];
    int y, m, d;
    normalize(text, buf, sizeof(buf));
    const char *p = buf;
    if (strlen(buf) == 8 && digits_only(buf, 8)) {
        y = (buf[0] - '0') * 1000 + (buf[1] - '0') * 100 + (buf[2] - '0') * 10 + buf[3] - '0';
        m = (buf[4] - '0') * 10 + buf[5] - '0';
        d = (buf[6] - '0') * 10 + buf[7] - '0';
        p = buf + 8;
    } else {
        if (take_digits(&p, 4, 4, &y) < 0)
            return -1;
        if (strncmp(p, "年", 3) == 0) {
            p += 3;
            if (take_digits(&p, 1, 2, &m) < 0 || strncmp(p, "月", 3) != 0)
                return -1;
            p += 3;
            if (take_digits(&p, 1, 2, &d) < 0)
                return -1;
            if (strncmp(p, "日", 3) == 0)
                p += 3;
        } else {
            char sep = *p;
            if (sep != '-' && sep != '/' && sep != '.')
                return -1;
            p++;
            if (take_digits(&p, 1, 2, &m) < 0 || *p++ != sep || take_digits(&p, 1, 2, &d) < 0)
                return -1;
        }
    }
    if (parse_time(p, secs, offset, cap) < 0)
        return -1;
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m) || y < 1)
        return -2;
    *ymd = (int32_t)(y * 10000 + m * 100 + d);
    return 0;
}

static const char date_forms[] = "可写 2026-10-09、2026/10/9 或 2026年10月9日";

/* A date (datetime: with its time of day and offset, else secs is -1). */
static enum got
read_when(struct conv *c, const struct loc *l, int required, int32_t *ymd, int *secs, char *offset,
          size_t cap)
{
    const struct xlsx_cell *x;
    char v[64];
    enum got g = fetch(c, l, required, &x);
    offset[0] = '\0';
    *secs = -1;
    if (g != GOT_OK)
        return g;
    if (x->type == XLSX_NUMBER) {
        number_text(x->num, v, sizeof(v));
        if (x->num >= 19000101 && x->num <= 99991231 && x->num == floor(x->num)) {
            /* 20261009 typed as a number */
            char digits[16];
            snprintf(digits, sizeof(digits), "%.0f", x->num);
            if (parse_date_text(digits, ymd, secs, offset, cap) == 0)
                return GOT_OK;
        }
        if (x->fmt != XLSX_FMT_DATE) {
            cell_diag(c, "E_DATE_INVALID", l, "值是数字 %s，不是日期（%s）", v, date_forms);
            return GOT_BAD;
        }
        if (xlsx_serial_date(x->num, c->book.date1904, ymd, secs) < 0) {
            cell_diag(c, "E_DATE_INVALID", l, "日期序号 %s 不对应实际存在的日期%s", v,
                      !c->book.date1904 && floor(x->num) == 60 ? "（1900-02-29 不存在）" : "");
            return GOT_BAD;
        }
        return GOT_OK;
    }
    if (x->type != XLSX_STRING) {
        cell_diag(c, "E_DATE_INVALID", l, "应填日期（%s）", date_forms);
        return GOT_BAD;
    }
    int rc = parse_date_text(x->text, ymd, secs, offset, cap);
    if (rc < 0) {
        shown(x->text, v, sizeof(v));
        cell_diag(c, "E_DATE_INVALID", l, "值“%s”%s（%s）", v,
                  rc == -2 ? "不是实际存在的日期" : "不是日期", date_forms);
        return GOT_BAD;
    }
    return GOT_OK;
}

/* The cell as xs:date ("2026-10-09"), or with `with_time` as xs:dateTime
 * with an offset (a date alone is midnight, county time); "" unless GOT_OK. */
static enum got
read_when_text(struct conv *c, const struct loc *l, int required, int with_time, char *out,
               size_t cap)
{
    int32_t ymd = 0;
    int secs;
    char offset[16];
    enum got g = read_when(c, l, required, &ymd, &secs, offset, sizeof(offset));
    out[0] = '\0';
    if (g != GOT_OK)
        return g;
    int n = snprintf(out, cap, "%04d-%02d-%02d", (int)(ymd / 10000), (int)(ymd / 100 % 100),
                     (int)(ymd % 100));
    if (secs < 0)
        secs = 0;
    if (with_time && n > 0 && (size_t)n < cap)
        snprintf(out + n, cap - (size_t)n, "T%02d:%02d:%02d%s", secs / 3600, secs / 60 % 60,
                 secs % 60, offset[0] ? offset : OFFSET);
    return GOT_OK;
}

static enum got
read_date(struct conv *c, const struct loc *l, int required, char out[16])
{
    return read_when_text(c, l, required, 0, out, 16);
}

static enum got
read_datetime(struct conv *c, const struct loc *l, int required, char out[64])
{
    return read_when_text(c, l, required, 1, out, 64);
}

/* The self-reported rate in percent: 98, 98.5, "98%", or 0.98 in a
 * percent-formatted cell. Written with up to six decimals. */
static enum got
read_rate(struct conv *c, const struct loc *l, int required, char out[40])
{
    const struct xlsx_cell *x;
    char buf[64];
    double v = 0;
    enum got g = fetch(c, l, required, &x);
    out[0] = '\0';
    if (g != GOT_OK)
        return g;
    if (x->type == XLSX_NUMBER) {
        v = x->fmt == XLSX_FMT_PERCENT ? x->num * 100 : x->num;
    } else if (x->type == XLSX_STRING) {
        normalize(x->text, buf, sizeof(buf));
        size_t n = strlen(buf);
        if (n > 0 && buf[n - 1] == '%')
            buf[--n] = '\0';
        char *end;
        int ok = n > 0 && ((buf[0] >= '0' && buf[0] <= '9') || buf[0] == '-');
        v = ok ? strtod(buf, &end) : 0;
        if (!ok || *end != '\0' || !isfinite(v)) {
            shown(x->text, buf, sizeof(buf));
            cell_diag(c, "E_WB_CELL", l, "值“%s”不是数字", buf);
            return GOT_BAD;
        }
    } else {
        cell_diag(c, "E_WB_CELL", l, "应填数字");
        return GOT_BAD;
    }
    /* six decimals: 0.968 * 100 is 96.80000000000001 in binary */
    snprintf(out, 40, "%.6f", v);
    char *dot = strchr(out, '.');
    if (dot != NULL) {
        char *e = out + strlen(out);
        while (e > dot + 1 && e[-1] == '0')
            *--e = '\0';
        if (e == dot + 1)
            *dot = '\0';
    }
    if (strcmp(out, "-0") == 0)
        snprintf(out, 40, "0");
    return GOT_OK;
}

/* A choice of a dropdown: its Chinese label, or the format's own value. */
static enum got
read_choice(struct conv *c, const struct loc *l, int required, enum wb_kind kind,
            const char **value)
{
    const struct xlsx_cell *x;
    char buf[128], list[256] = "";
    size_t n;
    const struct wb_choice *ch = wblayout_choices(kind, &n);
    enum got g = fetch(c, l, required, &x);
    *value = "";
    if (g != GOT_OK)
        return g;
    if (x->type == XLSX_STRING) {
        normalize(x->text, buf, sizeof(buf));
        for (size_t i = 0; i < n; i++) {
            if (same_text(buf, ch[i].label) || strcmp(buf, ch[i].value) == 0) {
                *value = ch[i].value;
                return GOT_OK;
            }
        }
    } else {
        number_text(x->num, buf, sizeof(buf));
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(list);
        snprintf(list + k, sizeof(list) - k, "%s%s", i ? "、" : "", ch[i].label);
    }
    char quoted[64];
    shown(x->type == XLSX_STRING ? x->text : buf, quoted, sizeof(quoted));
    cell_diag(c, "E_WB_CHOICE", l, "值“%s”不是可选项（%s）", quoted, list);
    return GOT_BAD;
}

/* ---- the canonical document ----------------------------------------------- */

static void
out_failed(struct conv *c, int rc)
{
    if (rc == BZ_ELIMIT)
        c->too_big = 1;
    else if (rc < 0)
        c->oom = 1;
}

static void
out_raw(struct conv *c, const char *str)
{
    out_failed(c, dbuf_adds(c->xml, str));
}

/* Escaped for text and attribute values alike; tab, newline and carriage
 * return as character references, so no value spans lines. */
static void
out_escaped(struct conv *c, const char *str)
{
    const char *run = str;
    for (const char *p = str;; p++) {
        const char *rep = esc_xml_ref(*p);
        if (rep == NULL && *p != '\0')
            continue;
        int rc = dbuf_add(c->xml, run, (size_t)(p - run));
        if (rc == 0 && rep != NULL)
            rc = dbuf_adds(c->xml, rep);
        out_failed(c, rc);
        if (*p == '\0')
            break;
        run = p + 1;
    }
}

static struct line *
line_start(struct conv *c, int sheet, uint32_t row, unsigned col)
{
    static struct line spare;
    if (c->nlines == c->caplines) {
        size_t cap = c->caplines ? c->caplines * 2 : 128;
        struct line *v = realloc(c->lines, cap * sizeof(*v));
        if (v == NULL) {
            c->oom = 1;
            memset(&spare, 0, sizeof(spare));
            return &spare;
        }
        c->lines = v;
        c->caplines = cap;
    }
    struct line *ln = &c->lines[c->nlines++];
    memset(ln, 0, sizeof(*ln));
    ln->def = (struct loc){sheet, row, col};
    return ln;
}

static void
line_end(struct conv *c)
{
    out_raw(c, "\n");
}

static void
out_attr(struct conv *c, struct line *ln, const char *name, const char *value, int sheet,
         uint32_t row, unsigned col)
{
    out_raw(c, " ");
    out_raw(c, name);
    out_raw(c, "=\"");
    out_escaped(c, value);
    out_raw(c, "\"");
    if (ln->nattr < MAX_LINE_ATTRS) {
        ln->a[ln->nattr].attr = name;
        ln->a[ln->nattr].loc = (struct loc){sheet, row, col};
        ln->nattr++;
    }
}

/* <name>value</name> on one line, from a form field. */
static void
out_simple(struct conv *c, const char *name, enum wb_field f, const char *value, const char *attrs)
{
    const struct wb_form_field *ff = wblayout_field(f);
    line_start(c, ff->sheet, ff->row, 2);
    out_raw(c, "<");
    out_raw(c, name);
    out_raw(c, attrs);
    out_raw(c, ">");
    out_escaped(c, value);
    out_raw(c, "</");
    out_raw(c, name);
    out_raw(c, ">");
    line_end(c);
}

static struct loc
field_loc(enum wb_field f)
{
    const struct wb_form_field *ff = wblayout_field(f);
    return (struct loc){ff->sheet, ff->row, 2};
}

/* A count field as text ("" when it could not be read). */
static void
count_field(struct conv *c, enum wb_field f, char out[16], int *approx)
{
    long long v;
    struct loc l = field_loc(f);
    const struct wb_form_field *ff = wblayout_field(f);
    out[0] = '\0';
    if (read_count(c, &l, ff->required, ff->kind == WBK_COUNT_APPROX, &v, approx) == GOT_OK)
        snprintf(out, 16, "%lld", v);
}

static void
attr_count(struct conv *c, struct line *ln, const char *name, enum wb_field f)
{
    char v[16];
    int approx;
    const struct wb_form_field *ff = wblayout_field(f);
    count_field(c, f, v, &approx);
    out_attr(c, ln, name, v, ff->sheet, ff->row, 2);
}

static void
conv_identity(struct conv *c)
{
    const char *name;
    char when[64];
    struct loc l = field_loc(WF_NAME);
    read_text(c, &l, 1, &name);
    struct line *ln = line_start(c, WB_BASIC, 2, 2);
    out_raw(c, "<township");
    out_attr(c, ln, "code", c->code, WB_BASIC, 2, 2);
    out_attr(c, ln, "name", name, WB_BASIC, 3, 2);
    out_raw(c, "/>");
    line_end(c);
    out_simple(c, "period", WF_PERIOD, c->period, "");
    out_simple(c, "revision", WF_REVISION, c->revision, "");
    l = field_loc(WF_SUBMITTED);
    read_datetime(c, &l, 1, when);
    out_simple(c, "submittedAt", WF_SUBMITTED, when, "");

    const char *contact, *phone;
    l = field_loc(WF_CONTACT);
    read_text(c, &l, 1, &contact);
    l = field_loc(WF_PHONE);
    enum got gp = read_text(c, &l, 0, &phone);
    ln = line_start(c, WB_BASIC, 7, 2);
    out_raw(c, "<contact");
    out_attr(c, ln, "name", contact, WB_BASIC, 7, 2);
    if (gp == GOT_OK)
        out_attr(c, ln, "phone", phone, WB_BASIC, 8, 2);
    out_raw(c, "/>");
    line_end(c);
}

static void
approx_element(struct conv *c, const char *name, enum wb_field f)
{
    char v[16];
    int approx = 0;
    count_field(c, f, v, &approx);
    out_simple(c, name, f, v, approx ? " approx=\"true\"" : "");
}

static void
conv_onestop(struct conv *c)
{
    char v[16];
    int approx;
    line_start(c, WB_ONESTOP, 0, 0);
    out_raw(c, "<oneStop>");
    line_end(c);
    struct line *ln = line_start(c, WB_ONESTOP, 2, 2);
    out_raw(c, "<sites");
    attr_count(c, ln, "total", WF_SITES_TOTAL);
    attr_count(c, ln, "withWindow", WF_SITES_WITH);
    out_raw(c, "/>");
    line_end(c);
    approx_element(c, "consultations", WF_CONSULTATIONS);
    approx_element(c, "jobPostings", WF_JOB_POSTINGS);
    count_field(c, WF_RECRUITMENT, v, &approx);
    out_simple(c, "recruitmentEvents", WF_RECRUITMENT, v, "");
    line_start(c, WB_ONESTOP, 0, 0);
    out_raw(c, "</oneStop>");
    line_end(c);
    count_field(c, WF_COUNTY_ITEMS, v, &approx);
    out_simple(c, "countyItems", WF_COUNTY_ITEMS, v, "");
}

static void
conv_evaluation(struct conv *c)
{
    char rate[40];
    struct loc l = field_loc(WF_RATE);
    struct line *ln = line_start(c, WB_EVALUATION, 2, 2);
    out_raw(c, "<evaluation");
    attr_count(c, ln, "handled", WF_HANDLED);
    attr_count(c, ln, "evaluated", WF_EVALUATED);
    enum got g = read_rate(c, &l, 0, rate);
    if (g != GOT_EMPTY)
        out_attr(c, ln, "reportedRate", rate, WB_EVALUATION, l.row, 2);
    out_raw(c, "/>");
    line_end(c);
}

/* The data rows of a list sheet (a row counts when any of its columns
 * holds something), in order, into rows[] (caller frees). */
static uint32_t *
list_rows(struct conv *c, int sheet, size_t *n)
{
    size_t ncols;
    const struct xlsx_sheet *sh = c->sh[sheet];
    wblayout_columns((enum wb_sheet)sheet, &ncols);
    uint32_t *rows = malloc((sh->n ? sh->n : 1) * sizeof(*rows));
    *n = 0;
    if (rows == NULL) {
        c->oom = 1;
        return NULL;
    }
    for (size_t i = 0; i < sh->n; i++) {
        const struct xlsx_cell *x = &sh->cells[i];
        if (x->row < 2 || x->col > ncols || (x->type == XLSX_STRING && blank_text(x->text)))
            continue;
        if (*n == 0 || rows[*n - 1] != x->row)
            rows[(*n)++] = x->row;
    }
    return rows;
}

static int
id_taken(const struct member *v, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].id != NULL && strcmp(v[i].id, id) == 0)
            return 1;
    return 0;
}

/* An id cell: its text, or (empty) the next free id of the form
 * prefix + number, two digits at least. */
static const char *
read_id(struct conv *c, const struct loc *l, const char *prefix, struct member *v, size_t n,
        unsigned *next)
{
    const char *id;
    char buf[64];
    if (read_text(c, l, 0, &id) == GOT_OK) {
        normalize(id, buf, sizeof(buf));
        return strlen(id) < sizeof(buf) - 1 ? keep(c, buf) : id;
    }
    do
        snprintf(buf, sizeof(buf), "%s%02u", prefix, ++*next);
    while (id_taken(v, n, buf));
    return keep(c, buf);
}

/* The name of a listed window or leader, and its normalized form: each
 * walk compares its cells with every member, so the names are normalized
 * once here rather than once per walk. */
static void
member_name(struct conv *c, struct member *m, const char *name)
{
    char key[256];
    normalize(name, key, sizeof(key));
    m->name = name;
    m->key = keep(c, key);
}

/* Ids written in the sheet, first, so that assigned ones avoid them. */
static void
explicit_ids(struct conv *c, int sheet, const uint32_t *rows, size_t n, struct member *v)
{
    for (size_t i = 0; i < n; i++) {
        struct loc l = {sheet, rows[i], 1};
        const struct xlsx_cell *x = cell_at(c, &l);
        char buf[64];
        v[i].id = NULL;
        if (x == NULL || x->type == XLSX_BAD)
            continue;
        if (x->type == XLSX_STRING)
            normalize(x->text, buf, sizeof(buf));
        else
            number_text(x->num, buf, sizeof(buf));
        v[i].id = keep(c, buf);
    }
}

/* The two member lists, windows and leaders: a sheet of rows with an id
 * (kept, or given) and a name, leaders also a role; each row becomes one
 * <item id=".." [role=".."]>name</item> inside <list>. */
struct member_sheet {
    int sheet;
    const char *list, *item; /* element names */
    const char *prefix;      /* of the ids given to rows without one */
    unsigned id_col, name_col;
    int role_col; /* -1: no role */
};

static const struct member_sheet window_sheet = {WB_WINDOWS, "windows", "window", "W",
                                                 WC_ID,      WC_NAME,   -1};
static const struct member_sheet leader_sheet = {WB_LEADERS, "leaders", "leader", "L",
                                                 LC_ID,      LC_TITLE,  LC_ROLE};

/* A list's line of its own (row 2 of its sheet): opening, <list> or, with
 * no items (n == 0), <list/>; closing, </list> when it was left open. */
static void
list_tag(struct conv *c, int sheet, const char *list, size_t n, int closing)
{
    if (closing && n == 0)
        return;
    line_start(c, sheet, 2, 0);
    out_raw(c, closing ? "</" : "<");
    out_raw(c, list);
    out_raw(c, closing || n ? ">" : "/>");
    line_end(c);
}

static void
conv_members(struct conv *c, const struct member_sheet *ms, struct member **out, size_t *nout)
{
    size_t n;
    unsigned next = 0;
    uint32_t *rows = list_rows(c, ms->sheet, &n);
    struct member *v = *out = calloc(n ? n : 1, sizeof(*v));
    if (rows == NULL || v == NULL) {
        c->oom = 1;
        free(rows);
        return;
    }
    explicit_ids(c, ms->sheet, rows, n, v);
    list_tag(c, ms->sheet, ms->list, n, 0);
    for (size_t i = 0; i < n; i++) {
        uint32_t r = rows[i];
        struct loc lid = {ms->sheet, r, 1 + ms->id_col}, lname = {ms->sheet, r, 1 + ms->name_col};
        const char *id = read_id(c, &lid, ms->prefix, v, n, &next), *name, *role = NULL;
        read_text(c, &lname, 1, &name);
        if (ms->role_col >= 0) {
            struct loc lr = {ms->sheet, r, 1 + (unsigned)ms->role_col};
            read_choice(c, &lr, 1, WBK_ROLE, &role);
        }
        v[i].id = id;
        member_name(c, &v[i], name);
        struct line *ln = line_start(c, ms->sheet, r, 1 + ms->name_col);
        out_raw(c, "<");
        out_raw(c, ms->item);
        out_attr(c, ln, "id", id, ms->sheet, r, 1 + ms->id_col);
        if (role != NULL)
            out_attr(c, ln, "role", role, ms->sheet, r, 1 + (unsigned)ms->role_col);
        out_raw(c, ">");
        out_escaped(c, name);
        out_raw(c, "</");
        out_raw(c, ms->item);
        out_raw(c, ">");
        line_end(c);
    }
    *nout = n;
    list_tag(c, ms->sheet, ms->list, n, 1);
    free(rows);
}

/* A walk's window or leader: a name (or title) of this workbook's own
 * list, as the dropdown offers, else an id of it. */
static const char *
resolve_member(struct conv *c, const struct loc *l, const struct member *v, size_t n,
               const char *code, const char *what, const char *sheet)
{
    const char *text;
    char buf[256], quoted[64];
    if (read_text(c, l, 1, &text) != GOT_OK)
        return "";
    normalize(text, buf, sizeof(buf));
    const char *found = NULL;
    int hits = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].key, buf) == 0) {
            found = v[i].id;
            hits++;
        }
    }
    if (hits == 1)
        return found;
    shown(text, quoted, sizeof(quoted));
    if (hits > 1) {
        cell_diag(c, code, l, "%s“%s”在“%s”表中出现 %d 次，无法确定是哪一个；请改填%s编号", what,
                  quoted, sheet, hits, what);
        return "";
    }
    if (id_taken(v, n, buf))
        return keep(c, buf);
    cell_diag(c, code, l, "%s“%s”不在“%s”表中", what, quoted, sheet);
    return "";
}

/* "P2026-031、P2026-032" into "P2026-031 P2026-032". */
static const char *
problem_list(struct conv *c, const char *text)
{
    char buf[1024];
    size_t o = 0;
    normalize(text, buf, sizeof(buf));
    char *out = malloc(strlen(buf) + 1);
    if (out == NULL) {
        c->oom = 1;
        return "";
    }
    for (const char *p = buf; *p;) {
        size_t skip = 0;
        if (*p == ' ' || *p == ',' || *p == ';' || *p == '\t' || *p == '\n' || *p == '\r')
            skip = 1;
        else if (strncmp(p, "、", 3) == 0 || strncmp(p, "，", 3) == 0 || strncmp(p, "；", 3) == 0)
            skip = 3;
        if (skip) {
            if (o > 0 && out[o - 1] != ' ')
                out[o++] = ' ';
            p += skip;
        } else {
            out[o++] = *p++;
        }
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    const char *k = keep(c, out);
    free(out);
    return k;
}

static void
conv_walks(struct conv *c)
{
    size_t n;
    uint32_t *rows = list_rows(c, WB_WALKS, &n);
    if (rows == NULL)
        return;
    list_tag(c, WB_WALKS, "walks", n, 0);
    for (size_t i = 0; i < n; i++) {
        uint32_t r = rows[i];
        char date[16];
        const char *probs = "";
        struct loc ld = {WB_WALKS, r, 1 + KC_DATE}, ll = {WB_WALKS, r, 1 + KC_LEADER},
                   lw = {WB_WALKS, r, 1 + KC_WINDOW}, lp = {WB_WALKS, r, 1 + KC_PROBLEMS};
        const char *leader =
            resolve_member(c, &ll, c->leaders, c->nleaders, "E_REF_LEADER", "领导", "班子成员");
        const char *window =
            resolve_member(c, &lw, c->windows, c->nwindows, "E_REF_WINDOW", "窗口", "服务窗口");
        read_date(c, &ld, 1, date);
        enum got gp = read_text(c, &lp, 0, &probs);
        struct line *ln = line_start(c, WB_WALKS, r, 1 + KC_DATE);
        out_raw(c, "<walk");
        out_attr(c, ln, "leader", leader, WB_WALKS, r, 1 + KC_LEADER);
        out_attr(c, ln, "window", window, WB_WALKS, r, 1 + KC_WINDOW);
        out_attr(c, ln, "date", date, WB_WALKS, r, 1 + KC_DATE);
        if (gp == GOT_OK && (probs = problem_list(c, probs))[0] != '\0')
            out_attr(c, ln, "problems", probs, WB_WALKS, r, 1 + KC_PROBLEMS);
        out_raw(c, "/>");
        line_end(c);
    }
    list_tag(c, WB_WALKS, "walks", n, 1);
    free(rows);
}

static void
conv_problems(struct conv *c)
{
    size_t n;
    unsigned next = 0;
    char prefix[16];
    uint32_t *rows = list_rows(c, WB_PROBLEMS, &n);
    struct member *ids = calloc(n ? n : 1, sizeof(*ids));
    if (rows == NULL || ids == NULL) {
        c->oom = 1;
        free(rows);
        free(ids);
        return;
    }
    snprintf(prefix, sizeof(prefix), "P%04d-%02d-", c->year % 10000, c->month % 100);
    explicit_ids(c, WB_PROBLEMS, rows, n, ids);
    list_tag(c, WB_PROBLEMS, "problems", n, 0);
    for (size_t i = 0; i < n; i++) {
        uint32_t r = rows[i];
        char found[16], rect[16], due[16];
        const char *source, *status, *text;
        struct loc l = {WB_PROBLEMS, r, 1 + PC_ID};
        const char *id = read_id(c, &l, prefix, ids, n, &next);
        ids[i].id = id;
        l.col = 1 + PC_SOURCE;
        read_choice(c, &l, 1, WBK_SOURCE, &source);
        l.col = 1 + PC_FOUND;
        read_date(c, &l, 1, found);
        l.col = 1 + PC_STATUS;
        read_choice(c, &l, 1, WBK_STATUS, &status);
        l.col = 1 + PC_RECTIFIED;
        enum got gr = read_date(c, &l, 0, rect);
        l.col = 1 + PC_DEADLINE;
        enum got gd = read_date(c, &l, 0, due);
        l.col = 1 + PC_TEXT;
        read_text(c, &l, 1, &text);
        struct line *ln = line_start(c, WB_PROBLEMS, r, 1 + PC_STATUS);
        out_raw(c, "<problem");
        out_attr(c, ln, "id", id, WB_PROBLEMS, r, 1 + PC_ID);
        out_attr(c, ln, "source", source, WB_PROBLEMS, r, 1 + PC_SOURCE);
        out_attr(c, ln, "found", found, WB_PROBLEMS, r, 1 + PC_FOUND);
        out_attr(c, ln, "status", status, WB_PROBLEMS, r, 1 + PC_STATUS);
        if (gr != GOT_EMPTY)
            out_attr(c, ln, "rectified", rect, WB_PROBLEMS, r, 1 + PC_RECTIFIED);
        if (gd != GOT_EMPTY)
            out_attr(c, ln, "deadline", due, WB_PROBLEMS, r, 1 + PC_DEADLINE);
        out_raw(c, ">");
        out_escaped(c, text);
        out_raw(c, "</problem>");
        line_end(c);
    }
    list_tag(c, WB_PROBLEMS, "problems", n, 1);
    free(rows);
    free(ids);
}

/* <engagement> and <discipline>: an empty element whose attributes are
 * three counts of its sheet. */
struct count_element {
    int sheet;
    const char *element;
    const char *attr[3];
    enum wb_field field[3];
};

static const struct count_element activities[] = {
    {WB_ENGAGEMENT,
     "engagement",
     {"symposia", "merchantsVisited", "enterprisesVisited"},
     {WF_SYMPOSIA, WF_MERCHANTS, WF_ENTERPRISES}},
    {WB_DISCIPLINE,
     "discipline",
     {"inspections", "warningSessions", "violations"},
     {WF_INSPECTIONS, WF_WARNINGS, WF_VIOLATIONS}},
};

static void
conv_activities(struct conv *c)
{
    struct line *ln;
    for (size_t e = 0; e < sizeof(activities) / sizeof(activities[0]); e++) {
        const struct count_element *ce = &activities[e];
        ln = line_start(c, ce->sheet, 2, 2);
        out_raw(c, "<");
        out_raw(c, ce->element);
        for (int k = 0; k < 3; k++)
            attr_count(c, ln, ce->attr[k], ce->field[k]);
        out_raw(c, "/>");
        line_end(c);
    }
    /* optional as a pair: both empty leaves the element out */
    struct loc lr = field_loc(WF_RECEIVED), ls = field_loc(WF_RESOLVED);
    if (cell_at(c, &lr) == NULL && cell_at(c, &ls) == NULL)
        return;
    char v[16];
    int approx;
    ln = line_start(c, WB_DISCIPLINE, lr.row, 2);
    out_raw(c, "<complaints");
    long long x;
    v[0] = '\0';
    if (read_count(c, &lr, 1, 0, &x, &approx) == GOT_OK)
        snprintf(v, sizeof(v), "%lld", x);
    out_attr(c, ln, "received", v, WB_DISCIPLINE, lr.row, 2);
    v[0] = '\0';
    if (read_count(c, &ls, 1, 0, &x, &approx) == GOT_OK)
        snprintf(v, sizeof(v), "%lld", x);
    out_attr(c, ln, "resolved", v, WB_DISCIPLINE, ls.row, 2);
    out_raw(c, "/>");
    line_end(c);
}

static void
conv_texts(struct conv *c)
{
    static const char *const items[] = {"document", "item", "item", "item"};
    size_t n, nk;
    const struct wb_choice *kinds = wblayout_choices(WBK_TEXTKIND, &nk);
    uint32_t *rows = list_rows(c, WB_TEXTS, &n);
    const char **kind = calloc(n ? n : 1, sizeof(*kind)), **text = calloc(n ? n : 1, sizeof(*text));
    if (rows == NULL || kind == NULL || text == NULL) {
        c->oom = 1;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct loc lk = {WB_TEXTS, rows[i], 1 + TC_KIND}, lt = {WB_TEXTS, rows[i], 1 + TC_TEXT};
        read_choice(c, &lk, 1, WBK_TEXTKIND, &kind[i]);
        read_text(c, &lt, 1, &text[i]);
    }
    for (size_t k = 0; k < nk && k < 4; k++) {
        size_t count = 0;
        for (size_t i = 0; i < n; i++)
            count += strcmp(kind[i], kinds[k].value) == 0;
        list_tag(c, WB_TEXTS, kinds[k].value, count, 0);
        for (size_t i = 0; i < n; i++) {
            if (strcmp(kind[i], kinds[k].value) != 0)
                continue;
            line_start(c, WB_TEXTS, rows[i], 1 + TC_TEXT);
            out_raw(c, "<");
            out_raw(c, items[k]);
            out_raw(c, ">");
            out_escaped(c, text[i]);
            out_raw(c, "</");
            out_raw(c, items[k]);
            out_raw(c, ">");
            line_end(c);
        }
        list_tag(c, WB_TEXTS, kinds[k].value, count, 1);
    }
out:
    free(rows);
    free(kind);
    free(text);
}

static void
conv_document(struct conv *c)
{
    line_start(c, WB_BASIC, 0, 0);
    out_raw(c, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    line_end(c);
    line_start(c, WB_BASIC, 0, 0);
    out_raw(c, "<submission xmlns=\"" SUBMISSION_NS "\" schemaVersion=\"1\">");
    line_end(c);
    conv_identity(c);
    conv_onestop(c);
    conv_evaluation(c);
    conv_members(c, &window_sheet, &c->windows, &c->nwindows);
    conv_members(c, &leader_sheet, &c->leaders, &c->nleaders);
    conv_walks(c);
    conv_problems(c);
    conv_activities(c);
    conv_texts(c);
    line_start(c, WB_BASIC, 0, 0);
    out_raw(c, "</submission>");
    line_end(c);
}

/* ---- the template's identity and shape -------------------------------- */

/* The text of a cell for comparisons ("" when blank or unreadable). */
static void
plain(const struct conv *c, int sheet, uint32_t row, unsigned col, char *buf, size_t cap)
{
    struct loc l = {sheet, row, col};
    const struct xlsx_cell *x = cell_at(c, &l);
    buf[0] = '\0';
    if (x == NULL || x->type == XLSX_BAD)
        return;
    if (x->type == XLSX_STRING)
        normalize(x->text, buf, cap);
    else
        number_text(x->num, buf, cap);
}

/* The hidden sheet: ours, of a version this build reads. Fills code,
 * period and revision. Returns 0, or -1 (reported). */
static int
check_meta(struct conv *c)
{
    char marker[64], version[32];
    if (!c->book.sheets[WB_META].found) {
        cell_diag(c, "E_WB_NOT_TEMPLATE", NULL,
                  "这个工作簿不是县营商办用 bizenv "
                  "生成的填报表（没有模板标识），请使用县里下发的本乡镇本月填报表");
        return -1;
    }
    plain(c, WB_META, WM_MARKER, 2, marker, sizeof(marker));
    plain(c, WB_META, WM_VERSION, 2, version, sizeof(version));
    if (!same_text(marker, WBLAYOUT_MARKER)) {
        struct loc l = {WB_META, WM_MARKER, 2};
        cell_diag(c, "E_WB_NOT_TEMPLATE", &l, "模板标识被改动，请使用县里下发的本乡镇本月填报表");
        return -1;
    }
    if (!same_text(version, WBLAYOUT_VERSION)) {
        struct loc l = {WB_META, WM_VERSION, 2};
        char v[40];
        shown(version, v, sizeof(v));
        cell_diag(c, "E_WB_VERSION", &l, "模板格式版本“%s”不受支持（本程序读取版本 %s）", v,
                  WBLAYOUT_VERSION);
        return -1;
    }
    plain(c, WB_META, WM_CODE, 2, c->code, sizeof(c->code));
    plain(c, WB_META, WM_PERIOD, 2, c->period, sizeof(c->period));
    plain(c, WB_META, WM_REVISION, 2, c->revision, sizeof(c->revision));
    int y = 0, m = 0;
    if (strlen(c->code) != 9 || !digits_only(c->code, 9) || strlen(c->period) != 7 ||
        sscanf(c->period, "%4d-%2d", &y, &m) != 2 || m < 1 || m > 12 ||
        !digits_only(c->revision, strlen(c->revision)) || strlen(c->revision) > 9) {
        struct loc l = {WB_META, WM_CODE, 2};
        cell_diag(c, "E_WB_NOT_TEMPLATE", &l, "模板标识中的乡镇代码、月份或版本号无效");
        return -1;
    }
    c->year = y;
    c->month = m;
    return 0;
}

/* Every sheet present; headers and form labels as the template wrote
 * them. Reports each problem; returns -1 when there was one. */
static int
check_shape(struct conv *c)
{
    char got[256];
    int bad = 0;
    for (int sh = WB_BASIC; sh < WB_META; sh++) {
        if (!c->book.sheets[sh].found) {
            cell_diag(c, "E_WB_SHEET", NULL, "缺少工作表“%s”（被删除或改名）",
                      wblayout_sheet_name((enum wb_sheet)sh));
            bad = 1;
            continue;
        }
        size_t n;
        const struct wb_column *cols = wblayout_columns((enum wb_sheet)sh, &n);
        for (size_t k = 0; k < n; k++) {
            plain(c, sh, 1, (unsigned)k + 1, got, sizeof(got));
            if (!same_text(got, cols[k].label)) {
                struct loc l = {sh, 1, (unsigned)k + 1};
                cell_diag(c, "E_WB_HEADER", &l, "表头应为“%s”；请勿插入、删除或移动列",
                          cols[k].label);
                bad = 1;
            }
        }
    }
    for (int f = 0; f < WF_NFIELDS; f++) {
        const struct wb_form_field *ff = wblayout_field((enum wb_field)f);
        if (!c->book.sheets[ff->sheet].found)
            continue;
        plain(c, ff->sheet, ff->row, 1, got, sizeof(got));
        if (!same_text(got, ff->label)) {
            struct loc l = {ff->sheet, ff->row, 1};
            cell_diag(c, "E_WB_HEADER", &l, "项目名称应为“%s”；请勿插入、删除或移动行", ff->label);
            bad = 1;
        }
    }
    return bad ? -1 : 0;
}

/* The locked identity cells of 基本情况 must say what the hidden sheet
 * says: a workbook copied from another township or month is refused. */
static int
check_identity(struct conv *c)
{
    static const enum wb_field f[] = {WF_CODE, WF_PERIOD, WF_REVISION};
    const char *want[] = {c->code, c->period, c->revision};
    char got[64];
    int bad = 0;
    for (size_t i = 0; i < 3; i++) {
        const struct wb_form_field *ff = wblayout_field(f[i]);
        plain(c, ff->sheet, ff->row, 2, got, sizeof(got));
        if (strcmp(got, want[i]) != 0) {
            struct loc l = {ff->sheet, ff->row, 2};
            char v[64];
            shown(got, v, sizeof(v));
            cell_diag(c, "E_WB_MISMATCH", &l,
                      "“%s”是“%s”，模板标识是“%"
                      "s”；请使用县里下发的本乡镇本月填报表，不要改动锁定的单元格",
                      ff->label, v, want[i]);
            bad = 1;
        }
    }
    return bad ? -1 : 0;
}

/* ---- the whole conversion ----------------------------------------------- */

static void
conv_free(struct conv *c)
{
    xlsx_free(&c->book);
    free(c->lines);
    for (size_t i = 0; i < c->ndiags; i++) {
        free(c->diags[i].path);
        free(c->diags[i].message);
    }
    free(c->diags);
    for (size_t i = 0; i < c->nowned; i++)
        free(c->owned[i]);
    free(c->owned);
    free(c->windows);
    free(c->leaders);
}

/* Reads the book and writes the document. Returns 0 (document written),
 * BZ_EINPUT (refused: the reasons are in diags or c->diags), or the
 * operational failure with e filled. */
static int
convert(struct conv *c, const unsigned char *data, size_t len, struct diag_list *diags,
        struct bz_error *e)
{
    struct xlsx_want want[WB_NSHEETS];
    for (int sh = 0; sh < WB_NSHEETS; sh++) {
        size_t n;
        wblayout_columns((enum wb_sheet)sh, &n);
        want[sh].name = wblayout_sheet_name((enum wb_sheet)sh);
        want[sh].max_col = n ? (unsigned)n : 2;
    }
    want[WB_GUIDE].name = NULL; /* text for the township, never read */
    int rc = xlsx_read(data, len, c->s, want, WB_NSHEETS, &c->book, diags, e);
    if (rc < 0)
        return rc;
    for (int sh = 0; sh < WB_NSHEETS; sh++)
        c->sh[sh] = &c->book.sheets[sh];
    if (check_meta(c) < 0 || check_shape(c) < 0 || check_identity(c) < 0)
        return BZ_EINPUT;
    conv_document(c);
    if (c->oom)
        return bz_error_set(e, E_NOMEM, "内存不足，无法读取填报表");
    if (c->too_big) {
        cell_diag(c, "E_XML_LIMIT", NULL, "填报表的内容超过 %lld 字节的上限", c->s->max_xml_bytes);
        return BZ_EINPUT;
    }
    return 0;
}

/* ---- diagnostics back at their cells ------------------------------------ */

/* "…（第 12 行已使用）" names a line of the canonical document: the row
 * it came from is what the township can find. */
static void
rewrite_lines(const struct conv *c, const char *msg, char *out, size_t cap)
{
    size_t o = 0;
    const char *p = msg;
    while (*p != '\0' && o + 1 < cap) {
        const char *hit = strstr(p, "第 ");
        long ln = 0;
        char *end = NULL;
        if (hit != NULL)
            ln = strtol(hit + strlen("第 "), &end, 10);
        if (hit == NULL || end == NULL || strncmp(end, " 行", strlen(" 行")) != 0 || ln < 1 ||
            (size_t)ln > c->nlines) {
            size_t n = hit ? (size_t)(hit - p) + strlen("第 ") : strlen(p);
            if (n > cap - 1 - o)
                n = cap - 1 - o;
            memcpy(out + o, p, n);
            o += n;
            p += n;
            continue;
        }
        size_t n = (size_t)(hit - p);
        if (n > cap - 1 - o)
            n = cap - 1 - o;
        memcpy(out + o, p, n);
        o += n;
        struct loc l = c->lines[ln - 1].def;
        l.col = 0;
        char where[128];
        loc_text(&l, where, sizeof(where));
        int w = snprintf(out + o, cap - o, "%s", where);
        o += w > 0 && (size_t)w < cap - o ? (size_t)w : 0;
        p = end + strlen(" 行");
    }
    out[o] = '\0';
}

/* The cell a diagnostic of transform is about: the attribute's cell when
 * the path names one, else the element's. */
static struct loc
map_loc(const struct conv *c, const struct diag *d)
{
    const struct line *ln = &c->lines[d->line - 1];
    const char *at = strrchr(d->path, '@');
    const char *attr = at != NULL && at > d->path && at[-1] == '/' ? at + 1 : NULL;
    if (attr == NULL && strcmp(d->code, "E_PROBLEM_RECTIFIED_MISSING") == 0)
        attr = "rectified";
    if (attr != NULL)
        for (unsigned i = 0; i < ln->nattr; i++)
            if (strcmp(ln->a[i].attr, attr) == 0)
                return ln->a[i].loc;
    if (attr != NULL && strcmp(attr, "rectified") == 0 && ln->def.sheet == WB_PROBLEMS)
        return (struct loc){WB_PROBLEMS, ln->def.row, 1 + PC_RECTIFIED};
    return ln->def;
}

static void
map_rules(struct conv *c, const struct diag_list *td)
{
    char msg[1024];
    for (size_t i = 0; i < td->n; i++) {
        const struct diag *d = &td->items[i];
        rewrite_lines(c, d->message, msg, sizeof(msg));
        if (d->line >= 1 && (size_t)d->line <= c->nlines) {
            struct loc l = map_loc(c, d);
            add_diag(c, d->code, &l, 1, NULL, msg);
        } else {
            add_diag(c, d->code, NULL, 1, d->path, msg);
        }
    }
}

static int
same_cell(const struct loc *a, const struct loc *b)
{
    return a->sheet == b->sheet && a->row == b->row && a->col == b->col;
}

static int
cmp_wdiag(const void *pa, const void *pb)
{
    const struct wdiag *a = pa, *b = pb;
    if (a->has_loc != b->has_loc)
        return a->has_loc ? -1 : 1;
    if (a->has_loc) {
        if (a->loc.sheet != b->loc.sheet)
            return a->loc.sheet < b->loc.sheet ? -1 : 1;
        if (a->loc.row != b->loc.row)
            return a->loc.row < b->loc.row ? -1 : 1;
        if (a->loc.col != b->loc.col)
            return a->loc.col < b->loc.col ? -1 : 1;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Sorted by sheet, row and column into the caller's list; a rule's
 * diagnostic at a cell this module already reported is dropped (it is
 * about the empty value written for it). */
static void
flush_diags(struct conv *c, struct diag_list *diags)
{
    if (c->ndiags > 1)
        qsort(c->diags, c->ndiags, sizeof(*c->diags), cmp_wdiag);
    for (size_t i = 0; i < c->ndiags; i++) {
        const struct wdiag *d = &c->diags[i];
        int dup = 0;
        for (size_t k = 0; d->from_rules && d->has_loc && k < c->ndiags && !dup; k++)
            dup = !c->diags[k].from_rules && c->diags[k].has_loc &&
                  same_cell(&c->diags[k].loc, &d->loc);
        if (!dup)
            diag_add(diags, d->code, 0, d->path, "%s", d->message);
    }
    diags->nerrors += c->lost_errors;
    diags->nwarnings += c->lost_warnings;
    diags->dropped += c->lost_errors + c->lost_warnings;
}

/* What transform could not keep of its own list is still counted. */
static void
carry_dropped(struct diag_list *diags, const struct diag_list *td)
{
    size_t kept_e = 0, kept_w = 0;
    for (size_t i = 0; i < td->n; i++) {
        if (strcmp(td->items[i].code, "E_TOO_MANY_DIAGNOSTICS") == 0)
            continue;
        if (td->items[i].severity == DIAG_WARNING)
            kept_w++;
        else
            kept_e++;
    }
    size_t lost = (td->nerrors - kept_e) + (td->nwarnings - kept_w);
    diags->nerrors += td->nerrors - kept_e;
    diags->nwarnings += td->nwarnings - kept_w;
    diags->dropped += lost;
    diags->oom |= td->oom;
}

int
workbook_cell_of_path(const char *xml_path, char *buf, size_t cap)
{
    static const struct {
        const char *path;
        struct loc loc;
    } known[] = {
        {"/submission/revision", {WB_BASIC, 5, 2}},
        {"/submission/township/@code", {WB_BASIC, 2, 2}},
        {"/submission/period", {WB_BASIC, 4, 2}},
        {"/submission/problems", {WB_PROBLEMS, 0, 0}},
    };
    for (size_t i = 0; xml_path != NULL && i < sizeof(known) / sizeof(known[0]); i++) {
        if (strcmp(xml_path, known[i].path) == 0) {
            loc_text(&known[i].loc, buf, cap);
            return 1;
        }
    }
    return 0;
}

/* The identity the receipt can show when the document was never made. */
static void
identity_only(const struct conv *c, struct submission *out)
{
    char name[256];
    if (c->year == 0)
        return;
    memcpy(out->township_code, c->code, sizeof(out->township_code));
    out->year = c->year;
    out->month = c->month;
    out->revision = strtoll(c->revision, NULL, 10);
    if (c->book.sheets[WB_BASIC].found) {
        plain(c, WB_BASIC, wblayout_field(WF_NAME)->row, 2, name, sizeof(name));
        out->township_name = arena_strdup(&out->arena, name);
    }
}

int
workbook_transform(const unsigned char *data, size_t len, const struct settings *s,
                   const struct transform_ctx *ctx, struct submission *out, struct diag_list *diags,
                   char doc_sha256[65], struct bz_error *e)
{
    struct conv c;
    struct dbuf xml;
    struct diag_list td;
    memset(&c, 0, sizeof(c));
    c.s = s;
    c.xml = &xml;
    dbuf_init(&xml, (size_t)s->max_xml_bytes);
    diag_list_init(&td, (size_t)s->max_diagnostics);

    int rc = convert(&c, data, len, diags, e);
    if (rc == BZ_EINPUT) {
        hash_sha256_hex(data, len, doc_sha256);
        identity_only(&c, out);
        flush_diags(&c, diags);
        rc = 0;
        goto out;
    }
    if (rc < 0)
        goto out;
    hash_sha256_hex(xml.data, xml.len, doc_sha256);
    if (out->arena.used == 0)
        out->arena.limit = transform_arena_limit(xml.len);
    rc = transform_document((const unsigned char *)xml.data, xml.len, s, ctx, out, &td, e);
    if (rc < 0)
        goto out;
    map_rules(&c, &td);
    if (c.oom) {
        rc = bz_error_set(e, E_NOMEM, "内存不足，无法读取填报表");
        goto out;
    }
    flush_diags(&c, diags);
    carry_dropped(diags, &td);
out:
    diag_list_free(&td);
    dbuf_free(&xml);
    conv_free(&c);
    return rc;
}
