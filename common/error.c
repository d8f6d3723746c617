#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
bz_error_clear(struct bz_error *e)
{
    memset(e, 0, sizeof(*e));
}

/* Cuts a NUL-terminated buffer back so it does not end inside a UTF-8
 * sequence (vsnprintf truncates by bytes). */
void
bz_utf8_cut(char *str)
{
    size_t n = strlen(str), i = n;
    while (i > 0 && ((unsigned char)str[i - 1] & 0xC0) == 0x80 && n - i < 3)
        i--; /* back over continuation bytes to the sequence's first byte */
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)str[i - 1];
    size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (n - (i - 1) < want)
        str[i - 1] = '\0';
}

size_t
bz_strlcpy_utf8(char *dst, const char *src, size_t cap)
{
    if (cap == 0)
        return 0;
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    bz_utf8_cut(dst);
    return strlen(dst);
}

/* printf into a fixed field, cut back to a whole UTF-8 character. */
static void
format_into(char *buf, size_t cap, const char *fmt, va_list ap)
{
    vsnprintf(buf, cap, fmt, ap);
    bz_utf8_cut(buf);
}

int
bz_error_set(struct bz_error *e, enum bz_code code, const char *fmt, ...)
{
    va_list ap;

    bz_error_recode(e, code);
    va_start(ap, fmt);
    format_into(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    e->detail[0] = '\0';
    e->file[0] = '\0';
    e->line = 0;
    return e->status;
}

int
bz_error_recode(struct bz_error *e, enum bz_code code)
{
    e->status = codes_status(code);
    bz_strlcpy_utf8(e->code, codes_name(code), sizeof(e->code));
    return e->status;
}

int
bz_error_reword(struct bz_error *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    format_into(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    return e->status;
}

int
bz_error_detail(struct bz_error *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    format_into(e->detail, sizeof(e->detail), fmt, ap);
    va_end(ap);
    return e->status;
}

void
bz_error_at(struct bz_error *e, const char *file, long line)
{
    bz_strlcpy_utf8(e->file, file ? file : "", sizeof(e->file));
    e->line = line;
}
