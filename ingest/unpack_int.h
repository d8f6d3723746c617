/*
 * unpack_int — what the unpack_*.c files share; not for other modules.
 *
 * One struct unpack_run holds the state of reading one inbox file: the
 * limits, the counters that span nested archives, the deadline, and where
 * rejections (diags) and failures (e) go. The readers (gzip, zip) report
 * an input problem with unpack_reject and an operational failure by setting
 * run->status; they stop reading when run->halt is set.
 */
#ifndef BZ_UNPACK_INT_H
#define BZ_UNPACK_INT_H

#include "unpack.h"

#include <time.h>

/* Read buffer for the file itself and for gzip output: big enough that
 * syscalls are not the cost, small enough to live on the heap briefly. */
#define UNPACK_CHUNK (64 * 1024)

struct unpack_run {
    const char *path; /* the inbox file, for error messages */
    const struct settings *s;
    struct diag_list *diags; /* pass 1: the caller's list; pass 2: a scratch list */
    size_t errors_before;    /* the caller's list's errors when the run began */
    struct bz_error *e;
    struct timespec deadline; /* CLOCK_MONOTONIC; parse_timeout_s after the start */
    int fd;                   /* the inbox file, opened by unpack_file */
    long long file_size;      /* fstat size of fd */
    int pass;                 /* 1 = check everything, 2 = deliver documents */
    unpack_cb cb;
    void *ctx;
    enum unpack_kind kind; /* decided by pass 1 */
    size_t ndocs;          /* pass 1: documents found; pass 2: delivered */
    long long total_out;   /* decompressed bytes, all levels (max_total_bytes) */
    long long nentries;    /* zip entries, all levels (max_entries) */
    int status;            /* first operational failure (BZ_E*) or cb's return */
    int halt;              /* stop reading: the rest of the file cannot change the verdict */
};

/* Adds an input diagnostic (line 0, path = entry name or NULL). */
void unpack_reject(struct unpack_run *r, const char *code, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Returns 0, or sets status/halt/e to the timeout and returns -1. */
int unpack_check_time(struct unpack_run *r);

/* Sets an operational failure (first one wins) and halts. Returns -1. */
int unpack_fail(struct unpack_run *r, enum bz_code code, const char *detail);

/* Pass 2: hashes the document and hands it to the callback; a negative
 * callback result becomes r->status. Returns 0 or -1. */
int unpack_deliver(struct unpack_run *r, const char *member, const unsigned char *data, size_t len,
                   const struct subm_attachment *atts, size_t natts);

/* unpack_deliver for a workbook (.xlsx bytes). */
int unpack_deliver_workbook(struct unpack_run *r, const char *member, const unsigned char *data,
                            size_t len, const struct subm_attachment *atts, size_t natts);

/* Reads fd (from offset 0) as a gzip stream holding one XML document. */
void unpack_gz_read(struct unpack_run *r);

/* Reads fd (from offset 0) as a zip package or batch. Pass 1 sets r->kind. */
void unpack_zip_read(struct unpack_run *r);

/* Non-zero when the name ends in `ext` (".xml"), ASCII case-insensitive. */
int unpack_has_ext(const char *name, const char *ext);

#endif
