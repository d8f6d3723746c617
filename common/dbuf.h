/*
 * dbuf — a growing byte buffer with a hard limit (curl's dynbuf).
 *
 * Used to render receipts, summaries and COPY rows. The limit is given at
 * creation; an append that would pass it fails with BZ_ELIMIT and leaves
 * the buffer as it was. The content is always NUL-terminated.
 */
#ifndef BZ_DBUF_H
#define BZ_DBUF_H

#include <stddef.h>

struct dbuf {
    char *data;   /* owned; NULL until the first append */
    size_t len;   /* bytes used, not counting the NUL */
    size_t cap;   /* bytes allocated */
    size_t limit; /* most bytes `len` may reach */
};

/* Initialises an empty buffer that may hold up to `limit` bytes. */
void dbuf_init(struct dbuf *b, size_t limit);

/* Frees the content; the buffer is empty and reusable. */
void dbuf_free(struct dbuf *b);

/* Empties the buffer, keeping its memory. */
void dbuf_reset(struct dbuf *b);

/* Appends n bytes. Returns 0, BZ_ELIMIT past the limit, BZ_ENOMEM. */
int dbuf_add(struct dbuf *b, const void *p, size_t n);

/* Appends a NUL-terminated string. Returns as dbuf_add. */
int dbuf_adds(struct dbuf *b, const char *str);

/* Appends printf-formatted text. Returns as dbuf_add. */
int dbuf_printf(struct dbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Appends str as a JSON string literal (quotes included, control characters,
 * quote and backslash escaped, U+2028/2029 escaped). Returns as dbuf_add. */
int dbuf_add_json(struct dbuf *b, const char *str);

#endif
