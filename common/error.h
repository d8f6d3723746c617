/*
 * error — the error value every stage returns.
 *
 * Functions return 0 on success or a negative BZ_E* status, and fill a
 * caller-owned struct bz_error. The status is the class of the error's
 * code (codes.h): bz_error_set takes the code and derives it, so a code
 * always comes back with the same status and exit status. The struct
 * holds fixed-size text so that reporting an error never allocates (an
 * out-of-memory error can always be reported). Only jobs/ turns an error
 * into output and an exit status.
 *
 * `code` is a stable, searchable identifier (E_IO_READ, E_DB_CONNECT, ...);
 * `message` is Chinese text for the county or township reader; `detail`
 * carries the technical reason (library message, errno text).
 */
#ifndef BZ_ERROR_H
#define BZ_ERROR_H

#include "codes.h"

#include <stddef.h>

struct bz_error {
    int status;        /* codes_status of the code; 0 when no error is set */
    char code[32];     /* stable code, e.g. "E_IO_READ" */
    char message[512]; /* Chinese, for the user; what went wrong first */
    char detail[512];  /* technical reason; may be empty */
    char file[256];    /* input file the error is about; may be empty */
    long line;         /* line in that file, 0 when unknown */
};

/* Clears *e. Cannot fail. */
void bz_error_clear(struct bz_error *e);

/*
 * Sets code, its status (codes_status) and a printf-formatted message;
 * clears detail, file and line. Returns the status so callers can write
 * `return bz_error_set(...)`. Text that does not fit is truncated at a
 * UTF-8 character boundary.
 */
int bz_error_set(struct bz_error *e, enum bz_code code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Gives an error already set another code (and that code's status),
 * keeping its message, detail and place: a stage boundary naming what the
 * failure means there (a migration's failed SQL is E_DB_MIGRATE). Returns
 * the new status. */
int bz_error_recode(struct bz_error *e, enum bz_code code);

/* Replaces the message (printf-formatted), keeping code, status, detail
 * and place: a stage naming the object it was working on. Returns
 * e->status. */
int bz_error_reword(struct bz_error *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Sets the detail text (printf-formatted). Returns e->status. */
int bz_error_detail(struct bz_error *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Records the input file (and line) the error is about. Cannot fail. */
void bz_error_at(struct bz_error *e, const char *file, long line);

/* Ends str before a UTF-8 sequence that a byte limit cut short (snprintf
 * into a buffer too small for a name), so no message, cell or title gets a
 * broken character. Cannot fail. */
void bz_utf8_cut(char *str);

/* Copies at most cap-1 bytes of src into dst, never splitting a UTF-8
 * character, always NUL-terminating. Returns the bytes copied. */
size_t bz_strlcpy_utf8(char *dst, const char *src, size_t cap);

#endif
