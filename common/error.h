/*
 * error — the error value every stage returns.
 *
 * Functions return 0 on success or a negative BZ_E* status, and fill a
 * caller-owned struct bz_error. The struct holds fixed-size text so that
 * reporting an error never allocates (an out-of-memory error can always be
 * reported). Only jobs/ turns an error into output and an exit status.
 *
 * `code` is a stable, searchable identifier (E_IO_READ, E_DB_CONNECT, ...);
 * `message` is Chinese text for the county or township reader; `detail`
 * carries the technical reason (library message, errno text).
 */
#ifndef BZ_ERROR_H
#define BZ_ERROR_H

#include <stddef.h>

enum bz_status {
    BZ_OK = 0,
    BZ_EINPUT = -1,    /* the input is at fault: reject it, do not retry */
    BZ_ENOTFOUND = -2, /* a named thing does not exist (missing file, unknown township) */
    BZ_ECONFLICT = -3, /* a rule about existing state refused the change */
    BZ_EIO = -4,       /* local I/O failed (disk full, permission, rename) */
    BZ_EDB = -5,       /* the database failed or is unreachable: retry later */
    BZ_ENOMEM = -6,    /* allocation failed */
    BZ_EBUSY = -7,     /* another run holds the lock */
    BZ_ECONFIG = -8,   /* bad configuration or usage */
    BZ_ELIMIT = -9,    /* a configured limit was exceeded (input's fault) */
    BZ_ETIMEOUT = -10, /* a time limit was hit */
    BZ_EFAIL = -11     /* anything else */
};

struct bz_error {
    int status;        /* one of enum bz_status; 0 when no error is set */
    char code[32];     /* stable code, e.g. "E_IO_READ" */
    char message[512]; /* Chinese, for the user; what went wrong first */
    char detail[512];  /* technical reason; may be empty */
    char file[256];    /* input file the error is about; may be empty */
    long line;         /* line in that file, 0 when unknown */
};

/* Clears *e. Cannot fail. */
void bz_error_clear(struct bz_error *e);

/*
 * Sets status, code and a printf-formatted message; clears detail, file and
 * line. Returns `status` so callers can write `return bz_error_set(...)`.
 * Text that does not fit is truncated at a UTF-8 character boundary.
 */
int bz_error_set(struct bz_error *e, int status, const char *code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
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

/* Copies at most cap-1 bytes of src into dst, never splitting a UTF-8
 * character, always NUL-terminating. Returns the bytes copied. */
size_t bz_strlcpy_utf8(char *dst, const char *src, size_t cap);

#endif
