#include "diag.h"

#include "codes.h"
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
diag_list_init(struct diag_list *l, size_t limit)
{
    memset(l, 0, sizeof(*l));
    l->limit = limit < 2 ? 2 : limit;
}

void
diag_list_free(struct diag_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].path);
        free(l->items[i].message);
    }
    free(l->items);
    size_t limit = l->limit;
    diag_list_init(l, limit);
}

static int
store(struct diag_list *l, const char *code, long line, const char *path, const char *msg)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        if (cap > l->limit)
            cap = l->limit;
        struct diag *items = realloc(l->items, cap * sizeof(*items));
        if (items == NULL)
            return BZ_ENOMEM;
        l->items = items;
        l->cap = cap;
    }
    struct diag *d = &l->items[l->n];
    d->severity = codes_is_warning(code) ? DIAG_WARNING : DIAG_ERROR;
    bz_strlcpy_utf8(d->code, code, sizeof(d->code));
    d->line = line;
    d->path = strdup(path ? path : "");
    d->message = strdup(msg);
    if (d->path == NULL || d->message == NULL) {
        free(d->path);
        free(d->message);
        return BZ_ENOMEM;
    }
    l->n++;
    return 0;
}

int
diag_add(struct diag_list *l, const char *code, long line, const char *path, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    int is_warning = codes_is_warning(code);

    if (is_warning)
        l->nwarnings++;
    else
        l->nerrors++;

    if (l->n + 1 >= l->limit) {
        l->dropped++;
        if (l->n + 1 == l->limit) {
            /* the last slot says the list was cut, so the receipt is honest */
            int rc = store(l, "E_TOO_MANY_DIAGNOSTICS", 0, NULL, "其余问题未列出");
            if (rc < 0)
                l->oom = 1;
            return rc;
        }
        return 0;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    char clean[1024];
    bz_strlcpy_utf8(clean, msg, sizeof(clean));
    int rc = store(l, code, line, path, clean);
    if (rc < 0)
        l->oom = 1;
    return rc;
}

int
diag_list_append(struct diag_list *dst, struct diag_list *src)
{
    int rc = 0;
    for (size_t i = 0; i < src->n; i++) {
        const struct diag *d = &src->items[i];
        if (diag_add(dst, d->code, d->line, d->path, "%s", d->message) < 0)
            rc = BZ_ENOMEM;
    }
    diag_list_free(src);
    return rc;
}

int
diag_has_errors(const struct diag_list *l)
{
    return l->nerrors > 0 || l->oom;
}

