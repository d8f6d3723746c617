#include "rules.h"

#include "../common/error.h"
#include "fields.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct idref {
    const char *id;
    size_t idx; /* document order */
};

struct idset {
    struct idref *v;
    size_t n;
};

static void
fmt_date(int32_t date, char *buf, size_t cap)
{
    snprintf(buf, cap, "%04d-%02d-%02d", (int)(date / 10000), (int)(date / 100 % 100),
             (int)(date % 100));
}

static int32_t
period_first(const struct submission *sub)
{
    return (int32_t)(sub->year * 10000 + sub->month * 100 + 1);
}

static int32_t
period_last(const struct submission *sub)
{
    return (int32_t)(sub->year * 10000 + sub->month * 100 +
                     fields_days_in_month(sub->year, sub->month));
}

static int
township(struct doc *d)
{
    const char *canonical = NULL;
    if (d->ctx == NULL || d->ctx->township_known == NULL || d->township_elem == DOC_NO_ELEM)
        return 0;
    int rc = d->ctx->township_known(d->out->township_code, &canonical, d->ctx->arg);
    if (rc < 0)
        return rc;
    if (rc == 0)
        doc_diag(d, "E_TOWNSHIP_UNKNOWN", d->township_elem, "code",
                 "乡镇代码 %s 不在全县乡镇名录中", d->out->township_code);
    else if (canonical != NULL)
        d->out->township_canonical = doc_strdup_trim(d, canonical, strlen(canonical));
    return 0;
}

static void
period(struct doc *d)
{
    const struct submission *sub = d->out;
    int ty = (int)(d->ctx ? d->ctx->today / 10000 : 0),
        tm = (int)(d->ctx ? d->ctx->today / 100 % 100 : 0);
    if (!d->have_period || d->ctx == NULL || d->ctx->today <= 0)
        return;
    if (sub->year * 12 + sub->month > ty * 12 + tm)
        doc_diag(d, "E_PERIOD_FUTURE", d->period_elem, NULL,
                 "报送月份 %04d-%02d 晚于当前月份 %04d-%02d", sub->year, sub->month, ty, tm);
}

static void
figures(struct doc *d)
{
    const struct submission *sub = d->out;
    if (d->have_sites_total && d->have_sites_with && sub->sites_with_window > sub->sites_total)
        doc_diag(d, "E_SITES_WINDOW", d->sites_elem, "withWindow",
                 "设窗口的站点数 %lld 大于站点总数 %lld", (long long)sub->sites_with_window,
                 (long long)sub->sites_total);
    if (d->have_handled && d->have_evaluated && sub->evaluated > sub->handled)
        doc_diag(d, "E_EVAL_EXCEEDS", d->evaluation_elem, "evaluated",
                 "评价件数 %lld 大于办件量 %lld", (long long)sub->evaluated,
                 (long long)sub->handled);
    if (d->have_received && d->have_resolved && sub->complaints_resolved > sub->complaints_received)
        doc_diag(d, "E_COMPLAINTS_RESOLVED", d->complaints_elem, "resolved",
                 "办结投诉数 %lld 大于受理投诉数 %lld", (long long)sub->complaints_resolved,
                 (long long)sub->complaints_received);
}

static void
rate(struct doc *d)
{
    const struct submission *sub = d->out;
    if (!d->have_rate || !d->have_handled || !d->have_evaluated || sub->handled <= 0)
        return;
    double computed = 100.0 * (double)sub->evaluated / (double)sub->handled;
    if (fabs(sub->reported_rate_value - computed) > 1.0)
        doc_diag(d, "W_RATE_MISMATCH", d->evaluation_elem, "reportedRate",
                 "自报评价率 %s%% 与评价件数/办件量（%lld/%lld = %.2f%%）相差超过 1 个百分点",
                 sub->reported_rate, (long long)sub->evaluated, (long long)sub->handled, computed);
}

static int
by_id(const void *a, const void *b)
{
    const struct idref *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c != 0 ? c : (x->idx < y->idx ? -1 : x->idx > y->idx);
}

/* Sorted ids of items (`size` bytes each, id at `off`); items without an id
 * are left out. Returns 0 or BZ_ENOMEM. */
static int
idset_build(struct idset *set, const struct doc_vec *v, size_t off)
{
    set->n = 0;
    set->v = malloc((v->n ? v->n : 1) * sizeof(*set->v));
    if (set->v == NULL)
        return BZ_ENOMEM;
    for (size_t i = 0; i < v->n; i++) {
        const char *id = *(const char *const *)((const char *)v->items + i * v->size + off);
        if (id != NULL)
            set->v[set->n++] = (struct idref){id, i};
    }
    qsort(set->v, set->n, sizeof(*set->v), by_id);
    return 0;
}

static int
idset_has(const struct idset *set, const char *id)
{
    size_t lo = 0, hi = set->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(set->v[mid].id, id);
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Each later use of an id is reported, naming the line of the first. */
static void
duplicates(struct doc *d, const struct idset *set, const struct doc_vec *v, size_t elem_off,
           size_t line_off, const char *what)
{
    for (size_t i = 1; i < set->n; i++) {
        if (strcmp(set->v[i].id, set->v[i - 1].id) != 0)
            continue;
        size_t first = i;
        while (first > 0 && strcmp(set->v[first - 1].id, set->v[i].id) == 0)
            first--;
        const char *item = (const char *)v->items + set->v[i].idx * v->size;
        const char *orig = (const char *)v->items + set->v[first].idx * v->size;
        doc_diag(d, "E_DUPLICATE_ID", *(const uint32_t *)(item + elem_off), "id",
                 "%s编号 %s 重复（第 %ld 行已使用）", what, set->v[i].id,
                 *(const long *)(orig + line_off));
    }
}

static void
walk_refs(struct doc *d, const struct doc_walk *w, const struct idset *leaders,
          const struct idset *windows, const struct idset *problems)
{
    if (w->v.leader != NULL && !idset_has(leaders, w->v.leader))
        doc_diag(d, "E_REF_LEADER", w->elem, "leader", "走流程引用的领导编号 %s 不存在",
                 w->v.leader);
    if (w->v.window != NULL && !idset_has(windows, w->v.window))
        doc_diag(d, "E_REF_WINDOW", w->elem, "window", "走流程引用的窗口编号 %s 不存在",
                 w->v.window);
    for (size_t k = 0; k < w->v.nproblems; k++)
        if (!idset_has(problems, w->v.problems[k]))
            doc_diag(d, "E_REF_PROBLEM", w->elem, "problems", "走流程引用的问题编号 %s 不存在",
                     w->v.problems[k]);
    if (d->have_period && w->v.date != 0 &&
        (w->v.date < period_first(d->out) || w->v.date > period_last(d->out))) {
        char date[16];
        fmt_date(w->v.date, date, sizeof(date));
        doc_diag(d, "E_WALK_DATE", w->elem, "date", "走流程日期 %s 不在报送月份 %04d-%02d 内", date,
                 d->out->year, d->out->month);
    }
}

static void
problem_rectified(struct doc *d, const struct doc_problem *p, int32_t last)
{
    char r[16], f[16], l[16];
    int rectified = strcmp(p->v.status, "rectified") == 0;
    if (rectified && !p->has_rectified)
        doc_diag(d, "E_PROBLEM_RECTIFIED_MISSING", p->elem, NULL,
                 "问题 %s 状态为已整改（rectified），但缺少整改日期 rectified", p->v.id);
    if (!rectified && p->has_rectified)
        doc_diag(d, "E_PROBLEM_RECTIFIED_FORBIDDEN", p->elem, "rectified",
                 "问题 %s 状态为 %s，未整改不应填写整改日期", p->v.id, p->v.status);
    if (!rectified || p->v.rectified == 0 || last == 0)
        return;
    if (p->v.rectified > last || (p->v.found != 0 && p->v.rectified < p->v.found)) {
        fmt_date(p->v.rectified, r, sizeof(r));
        fmt_date(p->v.found, f, sizeof(f));
        fmt_date(last, l, sizeof(l));
        doc_diag(d, "E_PROBLEM_RECTIFIED_DATE", p->elem, "rectified",
                 "整改日期 %s 不在发现日期 %s 与报送月份最后一天 %s 之间", r,
                 p->v.found ? f : "（无）", l);
    }
}

static void
problem_rules(struct doc *d, const struct doc_problem *p)
{
    char a[16], l[16];
    int32_t last = d->have_period ? period_last(d->out) : 0;
    const char *status = p->v.status;
    int known =
        status != NULL && (strcmp(status, "open") == 0 || strcmp(status, "rectifying") == 0 ||
                           strcmp(status, "rectified") == 0);
    const char *id = p->v.id ? p->v.id : "";

    fmt_date(last, l, sizeof(l));
    if (last != 0 && p->v.found > last) {
        fmt_date(p->v.found, a, sizeof(a));
        doc_diag(d, "E_PROBLEM_FOUND_DATE", p->elem, "found",
                 "问题 %s 的发现日期 %s 晚于报送月份最后一天 %s", id, a, l);
    }
    if (!known)
        return; /* the schema reports the status */
    problem_rectified(d, p, last);
    if (strcmp(status, "rectified") != 0 && p->v.deadline != 0 && last != 0 &&
        p->v.deadline < last) {
        fmt_date(p->v.deadline, a, sizeof(a));
        doc_diag(d, "W_PROBLEM_OVERDUE", p->elem, "deadline",
                 "问题 %s 整改期限 %s 已过（截至 %s）仍未整改", id, a, l);
    }
}

static int
references(struct doc *d)
{
    struct idset w = {0}, l = {0}, p = {0};
    int rc = BZ_ENOMEM;

    if (idset_build(&w, &d->windows, offsetof(struct doc_window, v.id)) < 0 ||
        idset_build(&l, &d->leaders, offsetof(struct doc_leader, v.id)) < 0 ||
        idset_build(&p, &d->problems, offsetof(struct doc_problem, v.id)) < 0)
        goto out;
    duplicates(d, &w, &d->windows, offsetof(struct doc_window, elem),
               offsetof(struct doc_window, v.line), "窗口");
    duplicates(d, &l, &d->leaders, offsetof(struct doc_leader, elem),
               offsetof(struct doc_leader, v.line), "领导");
    duplicates(d, &p, &d->problems, offsetof(struct doc_problem, elem),
               offsetof(struct doc_problem, v.line), "问题");
    for (size_t i = 0; i < d->walks.n; i++)
        walk_refs(d, (const struct doc_walk *)d->walks.items + i, &l, &w, &p);
    rc = 0;
out:
    free(w.v);
    free(l.v);
    free(p.v);
    return rc;
}

int
rules_check(struct doc *d)
{
    int rc = township(d);
    if (rc < 0)
        return rc;
    period(d);
    figures(d);
    rate(d);
    for (size_t i = 0; i < d->problems.n; i++)
        problem_rules(d, (const struct doc_problem *)d->problems.items + i);
    return references(d);
}
