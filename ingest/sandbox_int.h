/*
 * sandbox_int — what the sandbox_*.c files share; not for other modules.
 *
 * sandbox.c is the parent's side (the pool, the retries, decoding);
 * sandbox_worker.c the spawner and the worker's loop; sandbox_filter.c
 * what makes a worker powerless (descriptors, rlimits, seccomp). The
 * reading itself, with or without a worker, is sandbox_read_doc below.
 *
 * Messages on a worker's socket (SOCK_STREAM) are frames: a u32 type and
 * a u32 payload length (little-endian), then the payload (transform/wire.h
 * encodings). The parent sends SB_CONTEXT and SB_JOB (the file's
 * descriptor attached to the job's first byte); the worker answers a job
 * with any number of SB_DOC and one SB_END, or SB_NOMEM when libxml2 ran
 * out of memory (then it exits).
 */
#ifndef BZ_SANDBOX_INT_H
#define BZ_SANDBOX_INT_H

#include "../common/dbuf.h"
#include "../transform/transform.h"
#include "../transform/wire.h"
#include "sandbox.h"

#include <stdint.h>
#include <sys/types.h>

/* The sandbox is built in unless SANDBOX=0, and only where there is a
 * filter for the architecture. */
#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__)) &&                         \
    (!defined(BIZENV_SANDBOX) || BIZENV_SANDBOX)
#define SANDBOX_BUILT 1
#else
#define SANDBOX_BUILT 0
#endif

/* A worker's descriptors: its socket, and the file of the current job
 * (the lowest number free once 0-3 are taken, so SCM_RIGHTS puts it
 * there; the filter allows reading only these two). */
#define SANDBOX_FD_SOCK 3
#define SANDBOX_FD_FILE 4

enum sandbox_frame {
    SB_HELLO = 1, /* worker: set up; u32 errno of the filter (0 = in place), u8 filtered */
    SB_CONTEXT,   /* parent: today, the registry */
    SB_JOB,       /* parent: attempt, deadline, name; the file's descriptor attached */
    SB_DOC,       /* worker: one document read */
    SB_END,       /* worker: the file's verdict */
    SB_NOMEM      /* worker: libxml2 could not get memory; it exits */
};

#define SANDBOX_HEADER 8

/* Requests from the parent are trusted but still bounded: a province's
 * registry is a few hundred KB. */
#define SANDBOX_REQUEST_MAX (64u << 20)

/* The reading limits, which the context carries to the workers (a
 * rebuild replays each run under the limits it was read with). */
int sandbox_put_limits(struct dbuf *b, const struct settings *s);
/* Into s; returns 0 or -1 when the bytes are not a set of limits. */
int sandbox_get_limits(struct wire_in *in, struct settings *s);

/* The largest frame a worker may send for one document with settings s,
 * and the most all the documents of one file may take. */
size_t sandbox_frame_limit(const struct settings *s);
size_t sandbox_reply_limit(const struct settings *s);

/* The registry copy checked against, sorted by code. */
struct sandbox_registry {
    struct sandbox_registry_row {
        char code[16];
        char *name; /* owned */
    } * rows;
    size_t n;
    int none; /* no registry: the check is skipped */
};

void sandbox_registry_free(struct sandbox_registry *r);
/* Builds r from t (n rows); returns 0 or BZ_ENOMEM. */
int sandbox_registry_set(struct sandbox_registry *r, const struct sandbox_township *t, size_t n,
                         int none);
/* transform_ctx.township_known over a sandbox_registry. */
int sandbox_registry_lookup(const char *code, const char **name, void *arg);

/*
 * Reads one document found by unpack into what the caller gets: a roll-up
 * through adx_parse, a workbook through workbook_transform, anything else
 * through transform_document. On return 0, doc->sub or doc->adx and
 * doc->diags (initialised here) hold the result, and doc->sha256 the
 * identity; the caller frees them (sandbox_doc_clear). Returns 0 or the
 * failure (BZ_ENOMEM, ...) with e filled.
 */
int sandbox_read_doc(const struct unpack_doc *u, const struct settings *s,
                     const struct transform_ctx *tctx, struct sandbox_doc *doc,
                     struct submission *sub, struct adx_doc *adx, struct diag_list *diags,
                     struct bz_error *e);

/* Frees what sandbox_read_doc put in sub, adx and diags. */
void sandbox_doc_clear(struct submission *sub, struct adx_doc *adx, struct diag_list *diags);

/* I/O on a socket: the whole buffer or -1 (errno set). Never SIGPIPE. */
int sandbox_send_all(int fd, const void *buf, size_t len);
int sandbox_recv_all(int fd, void *buf, size_t len);
/* A frame header into out[SANDBOX_HEADER]. */
void sandbox_header(unsigned char out[SANDBOX_HEADER], uint32_t type, uint32_t len);

/* ---- the spawner and the workers (sandbox_worker.c) ---- */

/*
 * Forks the spawner, which forks workers on request. Returns its pid and
 * in *ctl the parent's end of its control socket, or -1 with errno.
 */
pid_t sandbox_spawner_start(const struct settings *s, int *ctl);

/* Asks the spawner for a worker: its pid and the parent's end of its
 * socket in *sock, or -1. */
pid_t sandbox_spawn(int ctl, int *sock);

/* Asks the spawner to wait for a worker that was killed or exited: its
 * wait status, or -1 when unknown. */
int sandbox_reap(int ctl, pid_t pid);

/* ---- making a worker powerless (sandbox_filter.c) ---- */

/* Leaves the worker SANDBOX_FD_SOCK (from `sock`) and 0-2 open, nothing
 * else. Returns 0 or -1. */
int sandbox_filter_fds(int sock);

/* Everything a library would otherwise do lazily the first time and that
 * the filter would not allow then (iconv modules, the time zone). Returns
 * 0 or ENOMEM. */
int sandbox_filter_warm(void);

/* The rlimits of a worker reading with settings s. */
void sandbox_filter_limits(const struct settings *s);

/* Installs the seccomp filter (no_new_privs first). Returns 0 or an errno
 * value; ENOSYS where there is none. */
int sandbox_filter_install(void);

/* 1 when running under valgrind, whose own system calls the filter would
 * kill: the worker then runs without it (tests only). */
int sandbox_under_valgrind(void);

#endif
