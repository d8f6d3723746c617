#include "doc.h"

#include "../common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Elements that repeat by design always show their position, so that
 * walk[1] reads the same as walk[3]; others show it only when repeated. */
static const char *const repeating[] = {"window", "leader", "walk", "problem", "document", "item"};

static void
vec_init(struct doc_vec *v, size_t size, size_t max)
{
    memset(v, 0, sizeof(*v));
    v->size = size;
    v->max = max;
}

struct doc *
doc_new(const struct settings *set, const struct transform_ctx *ctx, struct submission *out,
        struct diag_list *diags)
{
    struct doc *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return NULL;
    d->frames = calloc(DOC_MAX_DEPTH + 1, sizeof(*d->frames));
    if (d->frames == NULL) {
        free(d);
        return NULL;
    }
    d->set = set;
    d->ctx = ctx;
    d->out = out;
    d->diags = diags;
    size_t maxel = (size_t)set->max_elements;
    /* pending diagnostics beyond a few times the kept limit go straight to
     * the caller's list, which only counts them */
    size_t maxdiag = (size_t)set->max_diagnostics * 4 + 100;
    vec_init(&d->pending, sizeof(struct doc_pending), maxdiag);
    vec_init(&d->schema, sizeof(struct doc_schema_err), maxdiag);
    vec_init(&d->windows, sizeof(struct doc_window), maxel);
    vec_init(&d->leaders, sizeof(struct doc_leader), maxel);
    vec_init(&d->walks, sizeof(struct doc_walk), maxel);
    vec_init(&d->problems, sizeof(struct doc_problem), maxel);
    for (int k = 0; k < SUBM_TEXT_KINDS; k++)
        vec_init(&d->texts[k], sizeof(const char *), maxel);
    d->township_elem = d->period_elem = d->evaluation_elem = DOC_NO_ELEM;
    d->sites_elem = d->complaints_elem = DOC_NO_ELEM;
    return d;
}

void
doc_free(struct doc *d)
{
    if (d == NULL)
        return;
    struct doc_pending *p = d->pending.items;
    for (size_t i = 0; i < d->pending.n; i++) {
        free(p[i].path);
        free(p[i].message);
    }
    struct doc_schema_err *se = d->schema.items;
    for (size_t i = 0; i < d->schema.n; i++)
        free(se[i].message);
    for (size_t i = 0; i < d->nattrs; i++)
        free(d->attrs[i].value);
    free(d->pending.items);
    free(d->schema.items);
    free(d->windows.items);
    free(d->leaders.items);
    free(d->walks.items);
    free(d->problems.items);
    for (int k = 0; k < SUBM_TEXT_KINDS; k++)
        free(d->texts[k].items);
    free(d->elems);
    free(d->frames);
    free(d->text);
    free(d);
}

static int
is_repeating(const char *name)
{
    for (size_t i = 0; i < sizeof(repeating) / sizeof(repeating[0]); i++)
        if (strcmp(name, repeating[i]) == 0)
            return 1;
    return 0;
}

static size_t
append(char *buf, size_t cap, size_t at, const char *str)
{
    size_t n = strlen(str);
    if (at + n + 1 > cap)
        n = at + 1 < cap ? cap - at - 1 : 0;
    memcpy(buf + at, str, n);
    buf[at + n] = '\0';
    return at + n;
}

/* Writes the path of element `elem` (plus "/@attr" when attr is not NULL)
 * into buf, truncated to cap bytes. */
static void
doc_path(const struct doc *d, uint32_t elem, const char *attr, char *buf, size_t cap)
{
    uint32_t chain[DOC_MAX_DEPTH + 1];
    int n = 0;
    size_t at = 0;

    buf[0] = '\0';
    for (uint32_t e = elem; e != DOC_NO_ELEM && e < d->nelems && n <= DOC_MAX_DEPTH;
         e = d->elems[e].parent)
        chain[n++] = e;
    while (n-- > 0) {
        const struct doc_elem *el = &d->elems[chain[n]];
        char pos[16] = "";
        if (el->pos > 1 || (el->pos == 1 && is_repeating(el->name)))
            snprintf(pos, sizeof(pos), "[%u]", (unsigned)el->pos);
        at = append(buf, cap, at, "/");
        at = append(buf, cap, at, el->name);
        at = append(buf, cap, at, pos);
    }
    if (attr != NULL) {
        at = append(buf, cap, at, "/@");
        append(buf, cap, at, attr);
    }
}

void *
doc_vec_push(struct doc *d, struct doc_vec *v, const void *item)
{
    if (v->n == v->max) {
        doc_limit(d, 0, "元素数量超过上限");
        return NULL;
    }
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        if (cap > v->max)
            cap = v->max;
        void *items = realloc(v->items, cap * v->size);
        if (items == NULL) {
            d->oom = 1;
            d->stopped = 1;
            return NULL;
        }
        v->items = items;
        v->cap = cap;
    }
    void *slot = (char *)v->items + v->n * v->size;
    memcpy(slot, item, v->size);
    v->n++;
    return slot;
}

static void
pending_add(struct doc *d, const char *code, long line, const char *path, const char *msg)
{
    struct doc_pending p;

    if (d->pending.n == d->pending.max) {
        if (diag_add(d->diags, code, line, path, "%s", msg) < 0)
            d->oom = 1;
        return;
    }
    memset(&p, 0, sizeof(p));
    bz_strlcpy_utf8(p.code, code, sizeof(p.code));
    p.line = line;
    p.path = strdup(path);
    p.message = strdup(msg);
    p.seq = d->seq++;
    if (p.path == NULL || p.message == NULL || doc_vec_push(d, &d->pending, &p) == NULL) {
        free(p.path);
        free(p.message);
        d->oom = 1;
    }
}

void
doc_diag(struct doc *d, const char *code, uint32_t elem, const char *attr, const char *fmt, ...)
{
    char msg[1024], path[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    doc_path(d, elem, attr, path, sizeof(path));
    long line = elem < d->nelems ? d->elems[elem].line : 0;
    pending_add(d, code, line, path, msg);
}

void
doc_diag_at(struct doc *d, const char *code, long line, const char *path, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pending_add(d, code, line, path ? path : "", msg);
}

void
doc_limit(struct doc *d, long line, const char *message)
{
    if (!d->stopped)
        doc_diag_at(d, "E_XML_LIMIT", line, "", "%s", message);
    d->stopped = 1;
}

void
doc_schema_error(struct doc *d, const char *name, const char *attr, long line, const char *message)
{
    struct doc_schema_err se;

    memset(&se, 0, sizeof(se));
    bz_strlcpy_utf8(se.name, name, sizeof(se.name));
    bz_strlcpy_utf8(se.attr, attr, sizeof(se.attr));
    se.line = line;
    if (d->schema.n == d->schema.max) {
        pending_add(d, "E_XML_SCHEMA", line, "", message);
        return;
    }
    se.message = strdup(message);
    if (se.message == NULL || doc_vec_push(d, &d->schema, &se) == NULL) {
        free(se.message);
        d->oom = 1;
    }
}

const char *
doc_attr(const struct doc *d, const char *name)
{
    for (size_t i = 0; i < d->nattrs; i++)
        if (strcmp(d->attrs[i].name, name) == 0)
            return d->attrs[i].value;
    return NULL;
}

/* The element a schema error is about: libxml2 gives only its name and the
 * parser's line. Of the same-name elements on the last line at or before
 * that line, take the first not before the previous error's element
 * (errors come in document order; `after` when the previous error was
 * another one about the same attribute, hence another element), else the
 * last one. Exact for one element per line, a good guess otherwise. */
static uint32_t
resolve_elem(const struct doc *d, const struct doc_schema_err *se, uint32_t *cursor, int after)
{
    size_t lo = 0, hi = d->nelems;
    uint32_t last = DOC_NO_ELEM, pick = DOC_NO_ELEM;

    /* elements are recorded in document order, so lines never decrease */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->elems[mid].line <= se->line)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo, steps = 0; i-- > 0 && steps < 100000; steps++) {
        if (strcmp(d->elems[i].name, se->name) != 0)
            continue;
        if (last != DOC_NO_ELEM && d->elems[i].line != d->elems[last].line)
            break;
        if (last == DOC_NO_ELEM)
            last = (uint32_t)i;
        if (*cursor == DOC_NO_ELEM || i > *cursor || (i == *cursor && !after))
            pick = (uint32_t)i;
    }
    if (pick == DOC_NO_ELEM)
        pick = last;
    if (pick != DOC_NO_ELEM)
        *cursor = pick;
    return pick;
}

static void
schema_to_pending(struct doc *d)
{
    struct doc_schema_err *se = d->schema.items;
    char path[1024];
    uint32_t cursor = DOC_NO_ELEM;

    for (size_t i = 0; i < d->schema.n; i++) {
        int after = i > 0 && strcmp(se[i].name, se[i - 1].name) == 0 &&
                    strcmp(se[i].attr, se[i - 1].attr) == 0 &&
                    strcmp(se[i].message, se[i - 1].message) != 0;
        uint32_t e = resolve_elem(d, &se[i], &cursor, after);
        if (e == DOC_NO_ELEM)
            path[0] = '\0';
        else
            doc_path(d, e, se[i].attr[0] ? se[i].attr : NULL, path, sizeof(path));
        pending_add(d, "E_XML_SCHEMA", se[i].line, path, se[i].message);
    }
}

static int
is_schema(const struct doc_pending *p)
{
    return strcmp(p->code, "E_XML_SCHEMA") == 0;
}

static int
by_path(const void *a, const void *b)
{
    const struct doc_pending *x = *(struct doc_pending *const *)a;
    const struct doc_pending *y = *(struct doc_pending *const *)b;
    int c = strcmp(x->path, y->path);
    if (c == 0)
        c = is_schema(x) - is_schema(y);
    if (c == 0)
        c = strcmp(x->code, y->code);
    if (c == 0)
        c = strcmp(x->message, y->message);
    if (c == 0)
        c = x->seq < y->seq ? -1 : x->seq > y->seq;
    return c;
}

static int
by_line(const void *a, const void *b)
{
    const struct doc_pending *x = *(struct doc_pending *const *)a;
    const struct doc_pending *y = *(struct doc_pending *const *)b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Drops exact repeats, and a schema error on a path that already has a
 * specific diagnostic (E_COUNT_FORMAT and friends say it better). */
static size_t
dedup(struct doc_pending **v, size_t n)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        struct doc_pending *p = v[i];
        struct doc_pending *prev = kept ? v[kept - 1] : NULL;
        int same_path = prev != NULL && strcmp(prev->path, p->path) == 0;
        if (same_path && strcmp(prev->code, p->code) == 0 && strcmp(prev->message, p->message) == 0)
            continue;
        if (same_path && p->path[0] != '\0' && is_schema(p) && !is_schema(prev))
            continue;
        v[kept++] = p;
    }
    return kept;
}

int
doc_flush(struct doc *d)
{
    schema_to_pending(d);
    size_t n = d->pending.n;
    struct doc_pending **v = malloc((n ? n : 1) * sizeof(*v));
    if (v == NULL)
        return BZ_ENOMEM;
    for (size_t i = 0; i < n; i++)
        v[i] = (struct doc_pending *)d->pending.items + i;
    qsort(v, n, sizeof(*v), by_path);
    n = dedup(v, n);
    qsort(v, n, sizeof(*v), by_line);
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        if (diag_add(d->diags, v[i]->code, v[i]->line, v[i]->path, "%s", v[i]->message) < 0)
            rc = BZ_ENOMEM;
    free(v);
    return rc;
}

uint32_t
doc_utf8_next(const char *str, size_t n, size_t *len)
{
    const unsigned char *u = (const unsigned char *)str;
    size_t k = u[0] < 0x80 ? 1 : u[0] < 0xE0 ? 2 : u[0] < 0xF0 ? 3 : 4;
    uint32_t cp = k == 1 ? u[0] : k == 2 ? u[0] & 0x1Fu : k == 3 ? u[0] & 0x0Fu : u[0] & 0x07u;

    if (k > n)
        k = n;
    for (size_t i = 1; i < k; i++)
        cp = (cp << 6) | (u[i] & 0x3Fu);
    *len = k;
    return cp;
}

/* Length of the UTF-8 character that ends at str + n (n > 0). */
static size_t
doc_utf8_prev_len(const char *str, size_t n)
{
    size_t k = 1;
    while (k < n && k < 4 && ((unsigned char)str[n - k] & 0xC0) == 0x80)
        k++;
    return k;
}

int
doc_is_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

const char *
doc_strdup_trim(struct doc *d, const char *str, size_t n)
{
    size_t len;
    while (n > 0 && doc_is_space(doc_utf8_next(str, n, &len))) {
        str += len;
        n -= len;
    }
    while (n > 0) {
        size_t k = doc_utf8_prev_len(str, n);
        if (!doc_is_space(doc_utf8_next(str + n - k, k, &len)))
            break;
        n -= k;
    }
    char *p = doc_alloc(d, n + 1);
    if (p != NULL) {
        memcpy(p, str, n);
        p[n] = '\0';
    }
    return p;
}

void *
doc_alloc(struct doc *d, size_t n)
{
    void *p = arena_alloc(&d->out->arena, n ? n : 1);
    if (p != NULL)
        return p;
    if (d->out->arena.over_limit) {
        d->over = 1;
        doc_limit(d, 0, "文档内容超过内存上限");
    } else {
        d->oom = 1;
        d->stopped = 1;
    }
    return NULL;
}
