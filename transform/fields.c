#include "fields.h"

#include "../common/error.h"

#include <stdlib.h>
#include <string.h>

struct handler {
    const char *parent; /* NULL for the root */
    const char *name;
    void (*start)(struct doc *d, uint32_t e);
    void (*end)(struct doc *d, uint32_t e, const char *text, size_t n);
};

static int
is_xml_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* XML white space only: counts and dates take no other (the XSD agrees). */
static void
trim_xml(const char **str, size_t *n)
{
    while (*n > 0 && is_xml_space(**str)) {
        (*str)++;
        (*n)--;
    }
    while (*n > 0 && is_xml_space((*str)[*n - 1]))
        (*n)--;
}

/* A value quoted in a message: at most 60 bytes, whole characters. */
static void
quote_value(const char *str, size_t n, char *buf, size_t cap)
{
    char tmp[64];
    size_t k = n < sizeof(tmp) - 1 ? n : sizeof(tmp) - 1;
    memcpy(tmp, str, k);
    tmp[k] = '\0';
    bz_strlcpy_utf8(buf, tmp, cap);
}

static int
parse_count(struct doc *d, uint32_t e, const char *attr, const char *str, size_t n,
            const char *label, int64_t *out)
{
    char shown[64];
    int64_t v = 0;
    const char *t = str;
    size_t k = n;

    trim_xml(&t, &k);
    int ok = k >= 1 && k <= 9;
    for (size_t i = 0; ok && i < k; i++) {
        ok = t[i] >= '0' && t[i] <= '9';
        v = v * 10 + (t[i] - '0');
    }
    if (ok) {
        *out = v;
        return 1;
    }
    quote_value(str, n, shown, sizeof(shown));
    doc_diag(d, "E_COUNT_FORMAT", e, attr, "%s“%s”必须是不超过 9 位的半角数字", label, shown);
    return 0;
}

static int
attr_count(struct doc *d, uint32_t e, const char *attr, const char *label, int64_t *out)
{
    const char *v = doc_attr(d, attr);
    if (v == NULL)
        return 0; /* missing: the schema says so */
    return parse_count(d, e, attr, v, strlen(v), label, out);
}

int
fields_days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return days[month - 1] + (month == 2 && leap);
}

static int
digits(const char *str, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (str[i] < '0' || str[i] > '9')
            return 0;
        v = v * 10 + (str[i] - '0');
    }
    *out = v;
    return 1;
}

/* YYYY-MM-DD that exists; 0 when it does not. */
static int32_t
parse_date_text(const char *str, size_t n)
{
    int y, m, day;
    trim_xml(&str, &n);
    if (n != 10 || str[4] != '-' || str[7] != '-' || !digits(str, 4, &y) ||
        !digits(str + 5, 2, &m) || !digits(str + 8, 2, &day))
        return 0;
    if (y < 1 || day < 1 || day > fields_days_in_month(y, m))
        return 0;
    return (int32_t)(y * 10000 + m * 100 + day);
}

static int32_t
attr_date(struct doc *d, uint32_t e, const char *attr)
{
    char shown[64];
    const char *v = doc_attr(d, attr);
    if (v == NULL)
        return 0;
    int32_t date = parse_date_text(v, strlen(v));
    if (date == 0) {
        quote_value(v, strlen(v), shown, sizeof(shown));
        doc_diag(d, "E_DATE_INVALID", e, attr, "日期“%s”不存在或不是 YYYY-MM-DD 格式", shown);
    }
    return date;
}

static const char *
attr_str(struct doc *d, const char *attr)
{
    const char *v = doc_attr(d, attr);
    return v == NULL ? NULL : doc_strdup_trim(d, v, strlen(v));
}

static void
on_township(struct doc *d, uint32_t e)
{
    const char *code = doc_attr(d, "code");
    size_t n = code ? strlen(code) : 0;
    int v;
    if (code != NULL && n == 9 && digits(code, 9, &v)) {
        memcpy(d->out->township_code, code, 10);
        d->township_elem = e;
    }
    d->out->township_name = attr_str(d, "name");
}

static void
end_period(struct doc *d, uint32_t e, const char *str, size_t n)
{
    int y, m;
    trim_xml(&str, &n);
    if (n == 7 && str[4] == '-' && digits(str, 4, &y) && digits(str + 5, 2, &m) && m >= 1 &&
        m <= 12 && y >= 1) {
        d->out->year = y;
        d->out->month = m;
        d->have_period = 1;
        d->period_elem = e;
    }
}

static void
end_revision(struct doc *d, uint32_t e, const char *str, size_t n)
{
    (void)e;
    int v;
    trim_xml(&str, &n);
    if (n >= 1 && n <= 9 && digits(str, n, &v) && v >= 1)
        d->out->revision = v;
}

static void
end_submitted(struct doc *d, uint32_t e, const char *str, size_t n)
{
    (void)e;
    d->out->submitted_at = doc_strdup_trim(d, str, n);
}

static void
on_contact(struct doc *d, uint32_t e)
{
    (void)e;
    d->out->contact_name = attr_str(d, "name");
    d->out->contact_phone = attr_str(d, "phone");
}

static void
on_sites(struct doc *d, uint32_t e)
{
    d->sites_elem = e;
    d->have_sites_total = attr_count(d, e, "total", "站点总数", &d->out->sites_total);
    d->have_sites_with =
        attr_count(d, e, "withWindow", "设窗口的站点数", &d->out->sites_with_window);
}

static struct subm_count *
approx_count(struct doc *d, uint32_t e, const char **label)
{
    const char *name = d->elems[e].name;
    if (strcmp(name, "consultations") == 0) {
        *label = "政策咨询人数";
        return &d->out->consultations;
    }
    if (strcmp(name, "jobPostings") == 0) {
        *label = "推送就业岗位数";
        return &d->out->job_postings;
    }
    *label = "招聘会场次";
    return &d->out->recruitment_events;
}

static void
on_approx(struct doc *d, uint32_t e)
{
    const char *label;
    struct subm_count *c = approx_count(d, e, &label);
    const char *a = doc_attr(d, "approx");
    size_t n = a ? strlen(a) : 0;
    trim_xml(&a, &n);
    c->approx = (n == 4 && memcmp(a, "true", 4) == 0) || (n == 1 && a[0] == '1');
    c->line = d->elems[e].line;
}

static void
end_approx(struct doc *d, uint32_t e, const char *str, size_t n)
{
    const char *label;
    struct subm_count *c = approx_count(d, e, &label);
    if (parse_count(d, e, NULL, str, n, label, &c->value) && c->approx)
        doc_diag(d, "W_APPROX_COUNT", e, NULL, "%s %lld 为约数（原文如“%lld余”）", label,
                 (long long)c->value, (long long)c->value);
}

static void
end_county_items(struct doc *d, uint32_t e, const char *str, size_t n)
{
    parse_count(d, e, NULL, str, n, "承接县级事项数", &d->out->county_items);
}

/* [+-]digits[.digits] as in xs:decimal; -1 when str is not one. */
static int
parse_decimal(const char *str, size_t n, double *out)
{
    double v = 0, scale = 1;
    int sign = 1, ndig = 0, frac = 0;
    size_t i = 0;
    if (i < n && (str[i] == '+' || str[i] == '-'))
        sign = str[i++] == '-' ? -1 : 1;
    for (; i < n; i++) {
        if (str[i] == '.' && !frac) {
            frac = 1;
        } else if (str[i] >= '0' && str[i] <= '9') {
            ndig++;
            if (frac)
                v += (str[i] - '0') * (scale /= 10);
            else
                v = v * 10 + (str[i] - '0');
        } else {
            return -1;
        }
    }
    *out = sign * v;
    return ndig > 0 ? 0 : -1;
}

static void
reported_rate(struct doc *d, uint32_t e)
{
    const char *r = doc_attr(d, "reportedRate");
    double v;
    if (r == NULL)
        return;
    size_t n = strlen(r);
    trim_xml(&r, &n);
    if (parse_decimal(r, n, &v) < 0)
        return; /* not a decimal: the schema says so */
    if (v < 0 || v > 100) {
        char shown[64];
        quote_value(r, n, shown, sizeof(shown));
        doc_diag(d, "E_RATE_RANGE", e, "reportedRate", "自报评价率 %s 不在 0 到 100 之间", shown);
        return;
    }
    d->out->reported_rate = doc_strdup_trim(d, r, n);
    d->out->reported_rate_value = v;
    d->have_rate = 1;
}

static void
on_evaluation(struct doc *d, uint32_t e)
{
    d->evaluation_elem = e;
    d->have_handled = attr_count(d, e, "handled", "办件量", &d->out->handled);
    d->have_evaluated = attr_count(d, e, "evaluated", "评价件数", &d->out->evaluated);
    reported_rate(d, e);
}

static void
on_window(struct doc *d, uint32_t e)
{
    struct doc_window w;
    memset(&w, 0, sizeof(w));
    w.v.id = attr_str(d, "id");
    w.v.catalog = "other";
    w.v.line = d->elems[e].line;
    w.elem = e;
    doc_vec_push(d, &d->windows, &w);
}

static void
end_window(struct doc *d, uint32_t e, const char *str, size_t n)
{
    struct doc_window *w = d->windows.items;
    if (d->windows.n == 0 || w[d->windows.n - 1].elem != e)
        return;
    w = &w[d->windows.n - 1];
    w->v.name = doc_strdup_trim(d, str, n);
    if (w->v.name == NULL)
        return;
    if (!transform_window_catalog_find(w->v.name, &w->v.catalog))
        doc_diag(d, "W_WINDOW_UNKNOWN", e, NULL, "窗口名称“%s”不在全县窗口目录中，归入“其他”",
                 w->v.name);
}

static void
on_leader(struct doc *d, uint32_t e)
{
    struct doc_leader l;
    memset(&l, 0, sizeof(l));
    l.v.id = attr_str(d, "id");
    l.v.role = attr_str(d, "role");
    l.v.line = d->elems[e].line;
    l.elem = e;
    doc_vec_push(d, &d->leaders, &l);
}

static void
end_leader(struct doc *d, uint32_t e, const char *str, size_t n)
{
    struct doc_leader *l = d->leaders.items;
    if (d->leaders.n > 0 && l[d->leaders.n - 1].elem == e)
        l[d->leaders.n - 1].v.title = doc_strdup_trim(d, str, n);
}

/* walk/@problems: space-separated ids into an arena array. */
static void
walk_problems(struct doc *d, struct subm_walk *w)
{
    const char *p = doc_attr(d, "problems");
    size_t count = 0, n = p ? strlen(p) : 0;
    for (size_t i = 0; i < n; i++)
        count += !is_xml_space(p[i]) && (i == 0 || is_xml_space(p[i - 1]));
    if (count == 0)
        return;
    w->problems = doc_alloc(d, count * sizeof(*w->problems));
    if (w->problems == NULL)
        return;
    for (size_t i = 0; i < n && w->nproblems < count;) {
        while (i < n && is_xml_space(p[i]))
            i++;
        size_t start = i;
        while (i < n && !is_xml_space(p[i]))
            i++;
        const char *id = doc_strdup_trim(d, p + start, i - start);
        if (id == NULL)
            return;
        w->problems[w->nproblems++] = id;
    }
}

static void
on_walk(struct doc *d, uint32_t e)
{
    struct doc_walk w;
    memset(&w, 0, sizeof(w));
    w.v.leader = attr_str(d, "leader");
    w.v.window = attr_str(d, "window");
    w.v.date = attr_date(d, e, "date");
    w.v.line = d->elems[e].line;
    w.elem = e;
    walk_problems(d, &w.v);
    doc_vec_push(d, &d->walks, &w);
}

static void
on_problem(struct doc *d, uint32_t e)
{
    struct doc_problem p;
    memset(&p, 0, sizeof(p));
    p.v.id = attr_str(d, "id");
    p.v.source = attr_str(d, "source");
    p.v.status = attr_str(d, "status");
    p.v.found = attr_date(d, e, "found");
    p.v.rectified = attr_date(d, e, "rectified");
    p.has_rectified = doc_attr(d, "rectified") != NULL;
    p.v.deadline = attr_date(d, e, "deadline");
    p.v.line = d->elems[e].line;
    p.elem = e;
    doc_vec_push(d, &d->problems, &p);
}

static void
end_problem(struct doc *d, uint32_t e, const char *str, size_t n)
{
    struct doc_problem *p = d->problems.items;
    if (d->problems.n > 0 && p[d->problems.n - 1].elem == e)
        p[d->problems.n - 1].v.text = doc_strdup_trim(d, str, n);
}

static void
on_engagement(struct doc *d, uint32_t e)
{
    attr_count(d, e, "symposia", "座谈会次数", &d->out->symposia);
    attr_count(d, e, "merchantsVisited", "走访商户数", &d->out->merchants_visited);
    attr_count(d, e, "enterprisesVisited", "走访企业数", &d->out->enterprises_visited);
}

static void
on_discipline(struct doc *d, uint32_t e)
{
    attr_count(d, e, "inspections", "监督检查次数", &d->out->inspections);
    attr_count(d, e, "warningSessions", "警示教育次数", &d->out->warning_sessions);
    attr_count(d, e, "violations", "违纪违规数", &d->out->violations);
}

static void
on_complaints(struct doc *d, uint32_t e)
{
    d->out->has_complaints = 1;
    d->complaints_elem = e;
    d->have_received = attr_count(d, e, "received", "受理投诉数", &d->out->complaints_received);
    d->have_resolved = attr_count(d, e, "resolved", "办结投诉数", &d->out->complaints_resolved);
}

static void
end_text(struct doc *d, uint32_t e, const char *str, size_t n)
{
    static const char *const lists[SUBM_TEXT_KINDS] = {"mechanisms", "difficulties", "nextSteps",
                                                       "suggestions"};
    const char *parent = d->elems[d->elems[e].parent].name;
    for (int k = 0; k < SUBM_TEXT_KINDS; k++) {
        if (strcmp(parent, lists[k]) != 0)
            continue;
        const char *t = doc_strdup_trim(d, str, n);
        if (t != NULL)
            doc_vec_push(d, &d->texts[k], &t);
    }
}

static const struct handler handlers[] = {
    {"submission", "township", on_township, NULL},
    {"submission", "period", NULL, end_period},
    {"submission", "revision", NULL, end_revision},
    {"submission", "submittedAt", NULL, end_submitted},
    {"submission", "contact", on_contact, NULL},
    {"oneStop", "sites", on_sites, NULL},
    {"oneStop", "consultations", on_approx, end_approx},
    {"oneStop", "jobPostings", on_approx, end_approx},
    {"oneStop", "recruitmentEvents", on_approx, end_approx},
    {"submission", "countyItems", NULL, end_county_items},
    {"submission", "evaluation", on_evaluation, NULL},
    {"windows", "window", on_window, end_window},
    {"leaders", "leader", on_leader, end_leader},
    {"walks", "walk", on_walk, NULL},
    {"problems", "problem", on_problem, end_problem},
    {"submission", "engagement", on_engagement, NULL},
    {"submission", "discipline", on_discipline, NULL},
    {"submission", "complaints", on_complaints, NULL},
    {"mechanisms", "document", NULL, end_text},
    {"difficulties", "item", NULL, end_text},
    {"nextSteps", "item", NULL, end_text},
    {"suggestions", "item", NULL, end_text},
};

/* The handler of element e, when it is in its place in the format: its
 * parent is right and every ancestor up to the root is ours. */
static const struct handler *
find_handler(const struct doc *d, uint32_t e)
{
    const struct doc_elem *el = &d->elems[e];
    if (!el->ours || el->parent == DOC_NO_ELEM)
        return NULL;
    const struct doc_elem *parent = &d->elems[el->parent];
    if (!parent->ours)
        return NULL;
    for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
        if (strcmp(handlers[i].name, el->name) == 0 &&
            strcmp(handlers[i].parent, parent->name) == 0)
            return &handlers[i];
    return NULL;
}

void
fields_start(struct doc *d, uint32_t e)
{
    const struct handler *h = find_handler(d, e);
    if (h != NULL && h->start != NULL)
        h->start(d, e);
}

void
fields_end(struct doc *d, uint32_t e, const char *text, size_t n)
{
    const struct handler *h = find_handler(d, e);
    if (h != NULL && h->end != NULL)
        h->end(d, e, text, n);
}

/* Copies v's items (each `size` bytes, the submission struct first) into
 * an arena array of `outsize`-byte items. */
static void *
copy_out(struct doc *d, const struct doc_vec *v, size_t outsize, size_t *n)
{
    *n = 0;
    if (v->n == 0)
        return NULL;
    char *out = doc_alloc(d, v->n * outsize);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < v->n; i++)
        memcpy(out + i * outsize, (const char *)v->items + i * v->size, outsize);
    *n = v->n;
    return out;
}

void
fields_finish(struct doc *d)
{
    struct submission *sub = d->out;
    sub->windows = copy_out(d, &d->windows, sizeof(struct subm_window), &sub->nwindows);
    sub->leaders = copy_out(d, &d->leaders, sizeof(struct subm_leader), &sub->nleaders);
    sub->walks = copy_out(d, &d->walks, sizeof(struct subm_walk), &sub->nwalks);
    sub->problems = copy_out(d, &d->problems, sizeof(struct subm_problem), &sub->nproblems);
    for (int k = 0; k < SUBM_TEXT_KINDS; k++)
        sub->texts[k].items = copy_out(d, &d->texts[k], sizeof(const char *), &sub->texts[k].n);
}
