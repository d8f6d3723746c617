/*
 * diag — the list of errors and warnings found in one submission.
 *
 * Validation collects every problem in one pass (the receipt lists them
 * all). Each entry has a stable code from codes.h, a line number and the
 * element path (/submission/walks/walk[3]/@leader). The list has a hard
 * limit: past it one E_TOO_MANY_DIAGNOSTICS entry is kept and the rest are
 * counted in `dropped`, so a hostile file cannot grow it without bound.
 */
#ifndef BZ_DIAG_H
#define BZ_DIAG_H

#include <stddef.h>

enum diag_severity { DIAG_ERROR, DIAG_WARNING };

struct diag {
    enum diag_severity severity;
    char code[32]; /* from codes.h */
    long line;     /* 1-based line in the XML document; 0 when not tied to a line */
    char *path;    /* element path, owned by the list; "" when none */
    char *message; /* Chinese, the specifics of this occurrence; owned by the list */
};

struct diag_list {
    struct diag *items; /* owned; n entries */
    size_t n, cap;
    size_t limit;     /* most entries kept; set by diag_list_init */
    size_t dropped;   /* entries not kept because of the limit */
    size_t nerrors;   /* all errors seen, kept or dropped */
    size_t nwarnings; /* all warnings seen, kept or dropped */
    int oom;          /* set when an entry could not be stored for lack of memory */
};

/* Initialises an empty list keeping at most `limit` entries (limit >= 2). */
void diag_list_init(struct diag_list *l, size_t limit);

/* Frees the entries; the list is empty and reusable afterwards. */
void diag_list_free(struct diag_list *l);

/*
 * Adds one entry. The severity follows the code's class in codes.h (a WARN
 * code is a warning, anything else an error). `path` may be NULL. Returns 0,
 * or BZ_ENOMEM when memory ran out (the entry is then counted but not kept,
 * and l->oom is set). Counting never fails.
 */
int diag_add(struct diag_list *l, const char *code, long line, const char *path, const char *fmt,
             ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Moves all entries of src to the end of dst (src is left empty). */
int diag_list_append(struct diag_list *dst, struct diag_list *src);

/* Non-zero when the list holds at least one error. */
int diag_has_errors(const struct diag_list *l);

#endif
