#include "dbuf.h"

#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
dbuf_init(struct dbuf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
}

void
dbuf_free(struct dbuf *b)
{
    free(b->data);
    dbuf_init(b, b->limit);
}

void
dbuf_reset(struct dbuf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

static int
reserve(struct dbuf *b, size_t n)
{
    if (n > b->limit || b->len > b->limit - n)
        return BZ_ELIMIT;
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > (size_t)-1 / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (p == NULL)
        return BZ_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int
dbuf_add(struct dbuf *b, const void *p, size_t n)
{
    int rc = reserve(b, n);
    if (rc < 0)
        return rc;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int
dbuf_adds(struct dbuf *b, const char *str)
{
    return dbuf_add(b, str, strlen(str));
}

int
dbuf_printf(struct dbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return BZ_EFAIL;
    int rc = reserve(b, (size_t)n);
    if (rc < 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int
dbuf_add_json(struct dbuf *b, const char *str)
{
    int rc = dbuf_add(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)str; rc == 0 && *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            rc = dbuf_add(b, esc, 2);
        } else if (*p < 0x20 || *p == 0x7F) {
            snprintf(esc, sizeof(esc), "\\u%04x", *p);
            rc = dbuf_add(b, esc, 6);
        } else if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
            rc = dbuf_adds(b, p[2] == 0xA8 ? "\\u2028" : "\\u2029");
            p += 2;
        } else {
            rc = dbuf_add(b, p, 1);
        }
    }
    return rc == 0 ? dbuf_add(b, "\"", 1) : rc;
}
